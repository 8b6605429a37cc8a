// Where images can be made on this device: what `auto` gives (the page warns when it is the CPU),
// whether WebNN can be offered in the Run on menu (only when navigator.ml.createContext() gives a
// context), and what the page says when the backend asked for in its URL is not offered.
import type { Backend, BackendChoice, EngineClient, WebnnSupport } from '../engine/index.ts';

export class BackendState {
  /** What `auto` gives here: WebGPU, or the CPU and why. */
  auto = $state.raw<BackendChoice>();
  /** Whether the WebNN backend can be offered, and why not. */
  webnn = $state.raw<WebnnSupport>();
  /** Why the backend asked for (`?backend=webnn`) is not the one in use, in words; '' when it is. */
  notice = $state('');

  constructor(private readonly engine: EngineClient) {}

  /** Asks the engine what this device offers; resolves with the backend to use for `asked` (`webnn` without WebNN: `auto`). */
  async load(asked: Backend | 'auto'): Promise<Backend | 'auto'> {
    const [auto, webnn] = await Promise.all([
      this.engine.backend(),
      this.engine.webnn().catch((err: Error) => ({ available: false, reason: `the check failed (${err.message})` })),
    ]);
    [this.auto, this.webnn] = [auto, webnn];
    if (asked !== 'webnn' || webnn.available) return asked;
    this.notice = `WebNN was asked for, but is not offered here: ${webnn.reason}. Running on ${auto.backend === 'webgpu' ? 'WebGPU' : 'the CPU'} instead.`;
    return 'auto';
  }
}
