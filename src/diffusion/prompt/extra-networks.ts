/** An extra network named in a prompt, as A1111 writes it: `<lora:name:0.8>`, `<hypernet:name:1>`. */
export interface ExtraNetwork {
  /** What kind of network: `lora`, `hypernet`, `lyco`, … (the word after `<`). */
  type: string;
  /** Its name (the first field). */
  name: string;
  /** The fields after the name, as written (`['0.8']`; LoRA takes a second one for the UNet). */
  args: string[];
  /** The first argument as a number, 1 when it is missing or not a number (A1111's default multiplier). */
  weight: number;
  /** The tag exactly as it stood in the prompt. */
  tag: string;
}

// modules/extra_networks.py `re_extra_net`: <(\w+):([^>]+)>, with Python's Unicode \w.
const EXTRA_NETWORK = /<([\p{L}\p{N}_]+):([^>]+)>/gu;

/**
 * Takes A1111's extra-network tags out of a prompt, as A1111 does before anything else reads
 * it: every `<type:name[:args…]>` is removed from the text (nothing is put in its place) and
 * returned. A1111 does this for the prompt only; a negative prompt's tags stay text.
 */
export function extractExtraNetworks(prompt: string): { text: string; networks: ExtraNetwork[] } {
  const networks: ExtraNetwork[] = [];
  const text = prompt.replace(EXTRA_NETWORK, (tag: string, type: string, fields: string) => {
    const [name = '', ...args] = fields.split(':');
    const first = args.length ? Number(args[0]) : Number.NaN;
    networks.push({ type, name, args, weight: args[0]?.trim() && !Number.isNaN(first) ? first : 1, tag });
    return '';
  });
  return { text, networks };
}
