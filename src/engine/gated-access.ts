import { GatedRepoError, modelPageUrl, type HubOptions, type WhoAmI } from '../hub/index.ts';

/** Gated-repo errors in words that say what to do next: paste a token, or accept the license with this account. */
export function explainAccess(err: unknown, hub: HubOptions & { who?: WhoAmI }, repo: string): unknown {
  if (!(err instanceof GatedRepoError)) return err;
  const page = modelPageUrl(hub, repo);
  const message = hub.accessToken
    ? `Your account ${hub.who ? `${hub.who.name} ` : ''}has not been granted access: visit ${page} and accept the license.`
    : `This model is gated: paste your Hugging Face token (after accepting the license at ${page}).`;
  return new GatedRepoError(message, err.status, err.code, err.url);
}
