// The network panel's state: the engine's request log, read while the panel is open.
import type { EngineClient, NetworkEntry } from '../engine/index.ts';

export class NetworkState {
  entries = $state.raw<NetworkEntry[]>([]);
  private open = false;

  constructor(private readonly engine: EngineClient) {}

  /** The panel was opened or closed: an open panel shows the log as it is now. */
  async toggled(open: boolean): Promise<void> {
    this.open = open;
    await this.refresh();
  }

  /** Reads the log again if the panel is open (after a download or an image, say). */
  async refresh(): Promise<void> {
    if (this.open) this.entries = await this.engine.networkLog();
  }

  async clear(): Promise<void> {
    await this.engine.clearNetworkLog();
    this.entries = [];
  }
}
