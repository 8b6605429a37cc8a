// What the local hub's endpoint modules share: its settings (hub.json) and its running state.
// A file of its own so that the endpoints and the server do not import each other.
import type { FaultPlan } from './hub-faults.ts';

export interface TokenInfo {
  name: string;
  role: 'read' | 'write' | 'fineGrained';
  displayName?: string;
  fullname?: string;
  email?: string;
  createdAt?: string;
}
export interface RepoSettings {
  gated?: 'manual' | 'auto' | false;
  private?: boolean;
  granted?: string[];
  license?: string;
  /** The commit `main` claims to be instead of the one computed from its files: a hub that lies (tests of the app's trust). */
  sha?: string;
}
export interface HubConfig { tokens: Record<string, TokenInfo>; repos: Record<string, RepoSettings>; treePageSize?: number }

/** A CDN URL handed out by a redirect, and the file it serves. */
export interface IssuedBlob { repoId: string; path: string; abs: string; size: number; mtimeMs: number }

/** What the endpoint modules share. */
export interface HubState {
  root: string;
  url: string;
  cdnUrl: string;
  faults: FaultPlan;
  issued: Map<string, IssuedBlob>;
  treePageSize?: number;
  config(): HubConfig;
}
