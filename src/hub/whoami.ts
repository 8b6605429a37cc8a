import { hubUrlOf, type HubOptions } from './config.ts';
import { InvalidTokenError } from './errors.ts';
import { hubFetch } from './request.ts';

/** The account a token belongs to, as the Hub's `whoami-v2` reports it (without the token). */
export interface WhoAmI {
  /** The account name (`alice`). */
  name: string;
  type: 'user' | 'org' | 'app' | string;
  /** The token's role: `read`, `write` or `fineGrained`. */
  role: string;
  /** The name the user gave the token on the Hub. */
  tokenName?: string;
}

/** Who a token belongs to, from `GET /api/whoami-v2`. Throws `InvalidTokenError` for a bad token. */
export async function whoAmI(params: HubOptions & { accessToken: string }): Promise<WhoAmI> {
  const url = `${hubUrlOf(params)}/api/whoami-v2`;
  let body;
  try {
    body = await (await hubFetch(url, params, 'token check')).json();
  } catch (err) {
    // whoami answers 401 for any bad token, whatever message it gives.
    if ((err as { status?: number }).status === 401) {
      throw new InvalidTokenError('The Hub does not accept this token: check that you copied all of it, and that it was not revoked.', 401, undefined, url);
    }
    throw err;
  }
  const access = body.auth?.accessToken ?? {};
  return { name: body.name, type: body.type, role: access.role ?? 'unknown', tokenName: access.displayName };
}
