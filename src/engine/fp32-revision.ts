// An fp32 revision of a repo whose fp16 files this GPU cannot run (no shader-f16): read from the
// Hub's refs and from the listing of each candidate branch, not from its name alone. aislamov's
// repos keep fp32 in `fp32` or `cpu` ("Please use 'cpu' revision on a machine without GPU",
// dakenf/diffusers.js); others name it otherwise, or not at all.
import { listRefs, type HubOptions, type RepoFile } from '../hub/index.ts';
import type { Float16UnsupportedError } from '../runtime/index.ts';
import { fetchManifest, type Manifest } from './manifest.ts';
import { layoutOf, precisionFromSize } from './variants.ts';

/** Branch names that say fp32 (or a CPU build): their listings are read first. */
const SAYS_FP32 = /fp32|float32|full|cpu/i;
/** At most this many branches' listings are read (one request each). */
const MAX_LISTINGS = 5;

/**
 * An fp16 model the GPU cannot run: names the repo's fp32 files in the error, so the page can
 * offer them: another variant of the same listing first (no request), else an fp32 branch.
 */
export async function withFp32Alternative(
  err: Float16UnsupportedError,
  p: { hub: HubOptions; repo: string; revision: string; listing: Manifest; opened: Manifest & { variant?: string } },
): Promise<Float16UnsupportedError> {
  const fp32Variant = layoutOf(p.listing).variants.find((v) => !v.float16 && v.label === 'fp32');
  if (fp32Variant && fp32Variant.id !== p.opened.variant) {
    err.message += ` This repo also has fp32 files: its “${fp32Variant.id || 'plain'}” variant.`;
    err.fp32Variant = fp32Variant.id;
    return err;
  }
  const fp32 = await findFp32Revision(p.hub, p.repo, p.revision, p.opened).catch(() => undefined);
  if (!fp32) return err;
  err.message += ` This repo has an fp32 revision: “${fp32.name}” (${fp32.because}).`;
  err.fp32Revision = fp32.name;
  return err;
}

/** The repo's branch (other than `revision`) whose files are fp32, and why the listing says so. */
export async function findFp32Revision(hub: HubOptions, repo: string, revision: string, current: Manifest): Promise<{ name: string; because: string } | undefined> {
  const { branches } = await listRefs({ ...hub, repo });
  const candidates = branches
    .filter((b) => b.name !== revision && b.targetCommit !== current.commit)
    .sort((a, b) => Number(SAYS_FP32.test(b.name)) - Number(SAYS_FP32.test(a.name)));
  for (const branch of candidates.slice(0, MAX_LISTINGS)) {
    const listing = await fetchManifest(hub, repo, branch.name).catch(() => undefined);
    const because = listing && fp32Evidence(listing.files, current.files);
    if (because) return { name: branch.name, because };
  }
  return undefined;
}

const GB = 1e9;
const size = (bytes: number) => (bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`);

/**
 * Why `candidate`'s files are fp32 where `current`'s (fp16) are not, or undefined: a flat
 * `onnx/` folder with fp32 files; the same components, each at least 1.6 times the bytes (fp16 →
 * fp32 doubles every weight); or a UNet whose size says 4 bytes a parameter.
 */
export function fp32Evidence(candidate: readonly RepoFile[], current: readonly RepoFile[]): string | undefined {
  const theirs = layoutOf({ files: [...candidate] });
  const fp32 = theirs.kind === 'flat' ? theirs.variants.find((v) => v.label === 'fp32' && v.models.unet) : undefined;
  if (fp32) return `its onnx/ folder has fp32 files (${fp32.models.unet})`;
  const ours = layoutOf({ files: [...current] });
  const mine = componentBytes(current, ours.variants[0]?.models ?? {});
  const other = componentBytes(candidate, theirs.variants[0]?.models ?? {});
  const same = Object.keys(mine).length > 0 && Object.keys(mine).sort().join() === Object.keys(other).sort().join();
  const ratios = Object.entries(mine).map(([c, bytes]) => (bytes > 0 ? other[c]! / bytes : 0));
  if (same && ratios.every((r) => r >= 1.6)) {
    return `every component's files are ${Math.min(...ratios).toFixed(1)}× or more the size of this revision's (unet ${size(other.unet ?? 0)} against ${size(mine.unet ?? 0)})`;
  }
  if (precisionFromSize(candidate, theirs)?.startsWith('fp32')) return 'its UNet’s size says 4 bytes a weight';
  return undefined;
}

/** Bytes of each component's files (its model and what lies beside it in its folder; flat: its model and data). */
function componentBytes(files: readonly RepoFile[], models: Partial<Record<string, string>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [component, model] of Object.entries(models)) {
    if (!model) continue;
    const flat = model.startsWith('onnx/');
    const dir = model.slice(0, model.lastIndexOf('/') + 1);
    out[component] = files.filter((f) => (flat ? f.path === model || f.path.startsWith(`${model}_data`) : f.path.startsWith(dir))).reduce((s, f) => s + Math.max(0, f.size), 0);
  }
  return out;
}
