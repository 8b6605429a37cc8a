// A stand-in for an SD 1.x export whose text encoder also gives its hidden states
// (`hidden_states.0` … `hidden_states.L`, as optimum exports them with output_hidden_states, which it
// does for SDXL's encoders): the sd15 stand-in (nmkd's layout, fp16 I/O, PNDM) with a two-layer text
// encoder that has them, and a final layer norm of its own (scale and shift not 1 and 0, as a trained
// CLIP's: A1111's mean-restoring weights need a mean away from 0). No real SD 1.x repo we know ships
// hidden states; this is what Clip skip needs.
import { join } from 'node:path';
import { familySpec } from '../../tools/tiny-model/tiny-model.ts';
import { repoParts } from '../../tools/tiny-model/repo-files.ts';

/** Where {@link writeClipSkipStandIn} puts it under a hub root. */
export const CLIP_SKIP_REPO = 'tiny/sd15-hidden-states';

/** Writes the stand-in into `<root>/tiny/sd15-hidden-states` and returns that folder. */
export async function writeClipSkipStandIn(root: string): Promise<string> {
  const spec = familySpec('sd15');
  const text = { ...spec.text, opts: { ...spec.text.opts, layers: 2, hiddenStates: 'all' as const, learnedFinalNorm: true } };
  const dir = join(root, CLIP_SKIP_REPO);
  for (const part of repoParts('sd15', 0, { ...spec, text })) await part.write(dir);
  return dir;
}
