// What the status line says while the engine works, and how long is left: from the engine's
// progress events alone (pure, so it is tested in Node).
import type { EngineEvent } from '../engine/index.ts';

/** The status line's words after this event; undefined when the event does not change them (a notice). */
export function progressText(e: EngineEvent): string | undefined {
  switch (e.kind) {
    case 'status':
      return e.message;
    case 'download':
      return e.loaded < e.total ? 'Downloading the model into this browser…' : 'Download complete.';
    case 'notice':
      return undefined;
    case 'stage': {
      const of = e.images && e.images > 1 ? ` (image ${(e.image ?? 0) + 1} of ${e.images})` : '';
      if (e.stage === 'unet' || e.stage === 'transformer') return `Denoising: step ${Math.min((e.step ?? 0) + 1, e.steps ?? 1)} of ${e.steps}${of}…`;
      return `Running ${e.stage.replace('_', ' ')}${of}…`;
    }
  }
}

/** Seconds left while denoising, from the time per denoising step (UNet or transformer) so far, over every image of the batch. */
export class StepEta {
  private start = 0;
  /** The estimate; undefined before a step has been timed and once denoising is done. */
  seconds: number | undefined;

  /** Takes one event (at time `now`, ms) and returns the estimate after it. */
  update(e: EngineEvent, now = performance.now()): number | undefined {
    if (e.kind !== 'stage') return this.seconds;
    if (e.stage === 'unet' || e.stage === 'transformer') {
      const perImage = e.steps ?? 1;
      const done = (e.image ?? 0) * perImage + (e.step ?? 0);
      if (done === 0) this.start = now;
      const total = perImage * (e.images ?? 1);
      this.seconds = done > 0 && total > 1 ? (((now - this.start) / done) * (total - done)) / 1000 : undefined;
    } else if (e.stage === 'vae_decoder') this.seconds = undefined;
    return this.seconds;
  }
}
