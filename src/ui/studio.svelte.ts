// The studio's state and actions in one Svelte 5 store: what is asked (settings), what the model
// is (card, warm-up), what is happening (progress), what came out (result, errors, notices), and
// everything a person can do. Components render it and call its actions; none of them talks to
// the engine or to another component. (Over 300 lines: it is the page's one store, hub
// confirmation and variant choice included; what stands alone lives in the sub-stores beside it:
// backends, cache, listings, history, token, network, hub, prompt tokens.)
import type { RgbaImage } from '../diffusion/index.ts';
import {
  EngineClient, explainError, type DownloadedModel, type EngineEvent, type ExplainedError, type FileProgress, type ModelCard, type ModelSource, type PreparedModel,
} from '../engine/index.ts';
import { DEFAULT_HUB_URL, InvalidTokenError } from '../hub/index.ts';
import { BackendState } from './backend-state.svelte.ts';
import { CacheState } from './cache-state.svelte.ts';
import { ListingState } from './listing-state.svelte.ts';
import { defaultGenerationSettings, generateOptions, randomSeed, settingsFromParameters, type ShownResult } from './generation-settings.ts';
import type { HistoryEntry } from './history.ts';
import { HistoryState } from './history-state.svelte.ts';
import { HubState } from './hub-state.svelte.ts';
import { latentsToRgba } from './latent-preview.ts';
import { NetworkState } from './network-state.svelte.ts';
import { PngTextTooLargeError, readTextChunks } from './png-text-chunks.ts';
import { progressText, StepEta } from './progress-text.ts';
import { PromptTokensState } from './prompt-tokens-state.svelte.ts';
import { resultShots, revokeShots } from './result-shots.ts';
import { hubFromLink, initialSettings, rememberModel } from './settings.ts';
import { TokenState } from './token-state.svelte.ts';

/** Whether the chosen model was got ready in the background (see `Studio.warmUp`). */
export interface Readiness {
  /** Model, revision and backend it is for. */
  key: string;
  state: 'warming' | 'ready' | 'failed';
  model?: PreparedModel;
  message?: string;
}

/** A panel the store can ask to show itself (it opens, scrolls into view and takes the focus). */
export type Panel = 'cache' | 'token';

export class Studio {
  /**
   * The engine client behind the store. Public for the console, and for what the page has no
   * control for: test/e2e/warm-up.test.ts compares GPU-resident and CPU-copied prompt embeddings,
   * bench/big.ts times a warm-up.
   */
  readonly engine = new EngineClient();
  /** Where the model comes from and what runs it: hub, model, revision, backend. */
  readonly settings = $state(initialSettings());
  /** The form: prompt, seed, steps, … */
  gen = $state(defaultGenerationSettings());
  /** img2img: the picture to start from. */
  initImage = $state.raw<RgbaImage>();
  offline = $state(false);
  /** `?bench=1`: show the figures to share. */
  readonly bench = new URLSearchParams(location.search).get('bench') === '1';

  // What the model is.
  card = $state.raw<ModelCard>();
  cardError = $state('');
  readiness = $state.raw<Readiness>();
  /** The model that made the last image. */
  prepared = $state.raw<PreparedModel>();
  /** What the last Download did. */
  downloaded = $state.raw<DownloadedModel>();
  /** The model's facts once known: from the last image, else from the warm-up. */
  readonly model = $derived(this.prepared ?? this.readiness?.model);
  /** `model`, when it is the repo, commit and variant the card is about (what the form and the card may rely on). */
  readonly openModel = $derived(
    this.model && this.card && this.model.model === this.card.model && this.model.commit === this.card.commit && this.model.variant.id === this.card.variant ? this.model : undefined,
  );
  /** Settings the chosen model does not take (Z-Image-Turbo: negative prompt, guidance, sampler, start image): the form hides them. */
  readonly unsupported = $derived(new Set<string>(this.card?.unsupported ?? this.model?.unsupported ?? []));

  // What is happening.
  busy = $state(false);
  status = $state('');
  /** Seconds left while denoising. */
  eta = $state<number>();
  download = $state.raw<{ files: FileProgress[]; loaded: number; total: number }>();
  /** The latents so far, as a small picture. */
  preview = $state.raw<RgbaImage>();
  /** A paused download or generation, which `resume` continues. */
  paused = $state(false);

  // What came out.
  result = $state.raw<ShownResult>();
  error = $state.raw<ExplainedError>();
  notices = $state<string[]>([]);
  /** What restoring settings (from the history or a PNG) did. */
  restored = $state('');
  /** The last request for a panel to show itself; a new object each time, so asking twice works. */
  revealed = $state.raw<{ panel: Panel }>();
  /** Folders of the person's used in place. */
  folders = $state<string[]>([]);

  readonly backends: BackendState;
  readonly cache: CacheState;
  /** The hub: the official one, or one a link named that the person confirms first. */
  readonly hub: HubState;
  readonly listings: ListingState;
  readonly history = new HistoryState();
  readonly token: TokenState;
  readonly network: NetworkState;
  /** The token counter under the prompt box. */
  readonly promptTokens: PromptTokensState;

  private controller?: AbortController;
  private again?: () => Promise<void>;
  private readonly steps = new StepEta();

  constructor() {
    this.backends = new BackendState(this.engine);
    this.cache = new CacheState(this.engine, () => this.settings.hubUrl);
    this.listings = new ListingState(this.engine, () => this.settings.hubUrl);
    this.network = new NetworkState(this.engine);
    this.hub = new HubState(this.engine, () => this.settings.hubUrl);
    this.hub.refused = hubFromLink().refused ?? '';
    this.promptTokens = new PromptTokensState(this.engine, () => this.source());
    this.token = new TokenState(this.engine, () => this.settings.hubUrl, () => void this.inspect());
    void this.history.load();
    void this.cache.refresh();
    void this.start();
  }

  /** What the device offers first (a page asking for WebNN where there is none runs as `auto`), then the hub and the model's card, then the known models' figures. */
  private async start(): Promise<void> {
    this.settings.backend = await this.backends.load(this.settings.backend);
    await this.useHub();
    await this.listings.refresh(!this.offline);
  }

  /** Reads whether the hub may be used; if it may, who is signed in there and what the model is. */
  private async useHub(): Promise<void> {
    await this.hub.load().catch((err) => (this.cardError = (err as Error).message));
    if (this.hub.asking) return;
    await this.token.load();
    await this.inspect();
  }

  /** The person confirmed the hub the link named: use it. */
  async confirmHub(): Promise<void> {
    await this.hub.confirm();
    await this.useHub();
  }

  /** The person chose the official Hub instead of the one the link named (the link's `hub` is dropped from the address). */
  async useOfficialHub(): Promise<void> {
    this.settings.hubUrl = DEFAULT_HUB_URL;
    const url = new URL(location.href);
    url.searchParams.delete('hub');
    history.replaceState(history.state, '', url);
    this.readiness = undefined;
    await this.useHub();
  }

  /** The person stopped using the hub a link named: it is asked about again before anything is sent there. */
  async stopUsingHub(): Promise<void> {
    await this.hub.forget();
    this.card = undefined;
    this.readiness = undefined;
    await this.refreshViews();
  }

  /** What the engine is asked about. */
  source(): ModelSource {
    const s = this.settings;
    const model = s.model.trim();
    const revision = s.revision.trim() || 'main';
    const variant = s.variantOf === `${model}@${revision}` ? s.variant : undefined;
    return { hubUrl: s.hubUrl, model, revision, offline: this.offline, backend: s.backend, memory: s.memory, ...(variant !== undefined && { variant }) };
  }

  /** The person picked a variant of the current model (`undefined`: let the device choose). */
  chooseVariant(variant: string | undefined): void {
    this.settings.variant = variant;
    this.settings.variantOf = `${this.settings.model.trim()}@${this.settings.revision.trim() || 'main'}`;
    void this.inspect();
  }

  /** The person picked another backend: the variant it runs well may differ, and the card says which. */
  backendChosen(): void {
    this.backends.notice = '';
    void this.inspect();
  }

  /** License, gating and size before anything is downloaded (no request when cached); a cached model is warmed up. */
  async inspect(): Promise<void> {
    this.cardError = '';
    if (this.hub.asking) {
      this.card = undefined;
      return;
    }
    try {
      this.card = await this.engine.inspect(this.source());
      if (this.card.cached) void this.warmUp();
    } catch (err) {
      this.card = undefined;
      this.cardError = (err as Error).message;
    }
    await Promise.all([this.refreshViews(), this.listings.refresh()]);
  }

  /** The person chose another model, revision or offline mode. */
  modelChosen(): void {
    rememberModel(this.settings.model.trim());
    void this.inspect();
  }

  switchModel(model: string, revision: string): void {
    if (this.settings.model === model) return;
    this.settings.model = model;
    this.settings.revision = revision;
    this.modelChosen();
  }

  /**
   * Opens a cached model and runs it once in the background, so the first Generate is as fast
   * as the next; a Generate clicked meanwhile waits for it (the client queues calls).
   */
  async warmUp(): Promise<void> {
    const key = this.modelKey();
    if (this.readiness?.key === key && this.readiness.state !== 'failed') return;
    this.readiness = { key, state: 'warming' };
    try {
      const model = await this.engine.warmUp(this.source());
      if (this.readiness?.key === key) this.readiness = model ? { key, state: 'ready', model } : undefined;
    } catch (err) {
      if (this.readiness?.key === key) this.readiness = { key, state: 'failed', message: (err as Error).message };
    }
  }

  async generate(): Promise<void> {
    if (this.busy || !this.gen.prompt.trim()) return;
    await this.run(async (signal) => {
      await this.useTypedToken();
      const asked = $state.snapshot(this.gen);
      const out = await this.engine.generate(this.source(), generateOptions(asked, this.initImage), (e) => this.onEvent(e), signal);
      const { result, entries } = await resultShots(out, asked);
      revokeShots(this.result);
      this.result = result;
      this.notices = [...this.notices, ...(await this.history.add(entries))];
      this.prepared = out.model;
      this.readiness = { key: this.modelKey(), state: 'ready', model: out.model };
      this.card = await this.engine.inspect(this.source());
      this.status = '';
    }, () => this.generate());
  }

  /** Downloads the model for later, without opening it. */
  async downloadModel(): Promise<void> {
    await this.run(async (signal) => {
      await this.useTypedToken();
      this.downloaded = await this.engine.download(this.source(), (e) => this.onEvent(e), signal);
      this.status = '';
      this.card = await this.engine.inspect(this.source());
      if (this.card.cached) void this.warmUp();
    }, () => this.downloadModel());
  }

  /** Stops the download or generation under way, keeping what was downloaded; `resume` continues it. */
  pause = () => this.controller?.abort('pause');
  resume = () => this.again?.() ?? Promise.resolve();
  cancel = () => this.controller?.abort();
  newSeed = () => void (this.gen.seed = randomSeed());

  /** Puts an image's settings (and model) back in the form. */
  reuse(entry: HistoryEntry): void {
    this.gen = {
      ...this.gen, prompt: entry.prompt, negativePrompt: entry.negativePrompt, seed: entry.seed, steps: entry.steps, guidance: entry.guidanceScale, sampler: entry.sampler,
      width: entry.width, height: entry.height, batch: 1, noise: entry.noise ?? 'cpu', clipSkip: entry.clipSkip ?? 1, padPrompts: entry.padPrompts ?? false,
    };
    this.switchModel(entry.model, entry.revision);
    this.restored = `Settings of the image with seed ${entry.seed} are back in the form.`;
  }

  /** A PNG dropped on the page (or picked) gives back the settings it carries, ours or A1111's. */
  async restoreFrom(file: File): Promise<void> {
    try {
      const text = (await readTextChunks(new Uint8Array(await file.arrayBuffer()))).parameters;
      if (!text) return void (this.restored = `“${file.name}” carries no generation settings.`);
      const { settings, model, notes } = settingsFromParameters(text, $state.snapshot(this.gen));
      this.gen = settings;
      if (model) this.switchModel(model, 'main');
      this.restored = [`Settings restored from “${file.name}”${model ? ` (model ${model})` : ''}.`, ...notes].join(' ');
    } catch (err) {
      // Too much text is said as it is; other failures name the file.
      this.restored = err instanceof PngTextTooLargeError ? `“${file.name}”: ${err.message}` : `“${file.name}” could not be read: ${(err as Error).message}`;
    }
  }

  // The next steps an error offers: the repo's fp32 branch, the CPU, offline mode, a panel.
  useRevision = (revision: string) => ((this.settings.revision = revision), this.generate());
  useVariant = (variant: string) => (this.chooseVariant(variant), this.generate());
  runOnCpu = () => ((this.settings.backend = 'wasm'), this.generate());
  goOffline = () => ((this.offline = true), this.inspect());
  /** Asks a panel to open and take the focus (it watches `revealed`). */
  reveal = (panel: Panel) => void (this.revealed = { panel });

  /** Uses a folder the person already has, in place (a directory handle, or a folder input's files). */
  async useFolder(folder: FileSystemDirectoryHandle | File[]): Promise<void> {
    this.folders = await this.engine.useLocalFolder(folder);
  }

  async forgetFolders(): Promise<void> {
    this.folders = await this.engine.forgetLocalFolders();
  }

  /** Ends the engine's worker (when the page goes away). */
  dispose(): void {
    this.history.revoke();
    revokeShots(this.result);
    this.engine.dispose();
  }

  private modelKey(): string {
    const s = this.source();
    return `${s.model}@${s.revision}/${s.backend}#${s.variant ?? 'auto'}`;
  }

  /** The cache panel, the model picker and the network panel read again. */
  private refreshViews(): Promise<unknown> {
    return Promise.all([this.cache.refresh(), this.network.refresh()]).catch(() => {});
  }

  /** A token typed but not yet applied is used now (whoami first). */
  private async useTypedToken(): Promise<void> {
    if (!(await this.token.signIn())) {
      throw new InvalidTokenError('The Hub did not accept the token in the field: see the token section.', 401, undefined, this.settings.hubUrl);
    }
  }

  private onEvent(e: EngineEvent): void {
    this.status = progressText(e) ?? this.status;
    this.eta = this.steps.update(e);
    if (e.kind === 'download') this.download = { files: e.files, loaded: e.loaded, total: e.total };
    else if (e.kind === 'notice') this.notices = [...this.notices, e.message];
    else if (e.kind === 'stage' && e.latents) this.preview = latentsToRgba(e.latents);
  }

  /** One download or generation: busy while it runs, its error shown, pausable (`again` resumes it). */
  private async run(work: (signal: AbortSignal) => Promise<void>, again: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = undefined;
    this.notices = [];
    this.restored = '';
    this.paused = false;
    this.steps.seconds = undefined;
    const current = (this.controller = new AbortController());
    try {
      this.hub.require();
      await work(current.signal);
    } catch (err) {
      if (current.signal.reason === 'pause') {
        this.paused = true;
        this.again = again;
        this.status = 'Paused. What was downloaded is kept; Resume continues from there.';
      } else {
        this.error = explainError(err);
        await this.token.refresh();
        this.status = '';
      }
    } finally {
      this.busy = false;
      this.preview = undefined;
      this.eta = undefined;
      this.controller = undefined;
      await this.refreshViews();
    }
  }
}
