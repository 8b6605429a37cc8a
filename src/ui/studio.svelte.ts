// The studio's state and actions in one Svelte 5 store: what is asked (settings), what the model
// is (card, warm-up), what is happening (progress), what came out (result, errors, notices), and
// everything a person can do. Components render it and call its actions; none of them talks to
// the engine or to another component.
import type { RgbaImage } from '../diffusion/index.ts';
import {
  EngineClient, explainError, type BackendChoice, type DownloadedModel, type EngineEvent, type ExplainedError, type FileProgress, type ModelCard,
  type ModelSource, type PreparedModel,
} from '../engine/index.ts';
import { InvalidTokenError } from '../hub/index.ts';
import { CacheState } from './cache-state.svelte.ts';
import { defaultGenerationSettings, generateOptions, randomSeed, settingsFromParameters, type ShownResult } from './generation-settings.ts';
import type { HistoryEntry } from './history.ts';
import { HistoryState } from './history-state.svelte.ts';
import { latentsToRgba } from './latent-preview.ts';
import { NetworkState } from './network-state.svelte.ts';
import { PngTextTooLargeError, readTextChunks } from './png-text-chunks.ts';
import { progressText, StepEta } from './progress-text.ts';
import { resultShots, revokeShots } from './result-shots.ts';
import { initialSettings, rememberModel } from './settings.ts';
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
  backendChoice = $state.raw<BackendChoice>();
  /** The model's facts once known: from the last image, else from the warm-up. */
  readonly model = $derived(this.prepared ?? this.readiness?.model);
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

  readonly cache: CacheState;
  readonly history = new HistoryState();
  readonly token: TokenState;
  readonly network: NetworkState;

  private controller?: AbortController;
  private again?: () => Promise<void>;
  private readonly steps = new StepEta();

  constructor() {
    this.cache = new CacheState(this.engine);
    this.network = new NetworkState(this.engine);
    this.token = new TokenState(this.engine, () => this.settings.hubUrl, () => void this.inspect());
    this.engine.backend().then((b) => (this.backendChoice = b));
    void this.token.load();
    void this.history.load();
    void this.cache.refresh();
    void this.inspect();
  }

  /** What the engine is asked about. */
  source(): ModelSource {
    const s = this.settings;
    return { hubUrl: s.hubUrl, model: s.model.trim(), revision: s.revision.trim() || 'main', offline: this.offline, backend: s.backend, memory: s.memory };
  }

  /** License, gating and size before anything is downloaded (no request when cached); a cached model is warmed up. */
  async inspect(): Promise<void> {
    this.cardError = '';
    try {
      this.card = await this.engine.inspect(this.source());
      if (this.card.cached) void this.warmUp();
    } catch (err) {
      this.card = undefined;
      this.cardError = (err as Error).message;
    }
    await this.refreshViews();
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
    this.gen = { ...this.gen, prompt: entry.prompt, negativePrompt: entry.negativePrompt, seed: entry.seed, steps: entry.steps, guidance: entry.guidanceScale, sampler: entry.sampler, width: entry.width, height: entry.height, batch: 1 };
    this.switchModel(entry.model, entry.revision);
    this.restored = `Settings of the image with seed ${entry.seed} are back in the form.`;
  }

  /** A PNG dropped on the page (or picked) gives back the settings it carries, ours or A1111's. */
  async restoreFrom(file: File): Promise<void> {
    try {
      const text = (await readTextChunks(new Uint8Array(await file.arrayBuffer()))).parameters;
      if (!text) return void (this.restored = `“${file.name}” carries no generation settings.`);
      const { settings, model } = settingsFromParameters(text, $state.snapshot(this.gen));
      this.gen = settings;
      if (model) this.switchModel(model, 'main');
      this.restored = `Settings restored from “${file.name}”${model ? ` (model ${model})` : ''}.`;
    } catch (err) {
      // Too much text is said as it is; other failures name the file.
      this.restored = err instanceof PngTextTooLargeError ? `“${file.name}”: ${err.message}` : `“${file.name}” could not be read: ${(err as Error).message}`;
    }
  }

  // The next steps an error offers: the repo's fp32 branch, the CPU, offline mode, a panel.
  useRevision = (revision: string) => ((this.settings.revision = revision), this.generate());
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
    return `${this.settings.model}@${this.settings.revision}/${this.settings.backend}`;
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
