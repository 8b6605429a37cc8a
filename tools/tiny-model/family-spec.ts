// What a tiny family is made of: its components (file, external data, graph options) and the
// repo-level choices (configs, tokenizer files, layout) that differ between real repos.
import type { TextEncoderOptions, UnetOptions, VaeDecoderOptions, VaeEncoderOptions } from './graphs.ts';
import type { SchedulerConfig } from './schedulers.ts';

/** A model file whose initializers live in a side file beside it. */
export interface ExternalData {
  /** The location string stored in the model, which is also the side file's name. */
  location: string;
  /** Tensors smaller than this many bytes stay inside the model file. */
  threshold: number;
  /** Split over `location`, `location_1`, … (browsers cannot read one file over ~2 GB). */
  shards?: number;
}

/** One ONNX component of a repo: where it lives and what it declares. */
export interface Component<Options> {
  /** The file in the component's folder, or (flat layouts) its path in the repo. */
  file: string;
  external?: ExternalData;
  opts: Options;
}

/** Which tokenizer files a repo ships: the slow tokenizer's four (default), vocab.json + merges.txt only, tokenizer.json only, tokenizer.json + tokenizer_config.json, or none. */
export type TokenizerFiles = 'vocab' | 'vocab-only' | 'json' | 'json+config' | 'none';

/** Everything that differs between families. */
export interface FamilySpec {
  text: Component<TextEncoderOptions>;
  unet: Component<UnetOptions>;
  vaeDecoder: Component<VaeDecoderOptions>;
  vaeEncoder?: Component<VaeEncoderOptions>;
  /** model_index.json's _class_name. */
  pipeline: string;
  /** scheduler/scheduler_config.json. */
  scheduler: SchedulerConfig;
  /** CLIP's pad token: '!' (id 0) for SD 2.x tokenizers, '<|endoftext|>' for SD 1.x. */
  padToken: '!' | '<|endoftext|>';
  /** Whether each component folder has a config.json (optimum-style exports do, diffusers' script does not). */
  componentConfigs: boolean;
  /** unet sample_size (latent pixels); the picture is 8x that. */
  sampleSize: number;
  /** SDXL's second text encoder (text_encoder_2/ and tokenizer_2/, padded with '!'). */
  text2?: Component<TextEncoderOptions>;
  /** Whether the repo has model_index.json and scheduler/scheduler_config.json (default true; configless browser exports have neither). */
  pipelineConfigs?: boolean;
  /** Tokenizer files (default 'vocab'). */
  tokenizer?: TokenizerFiles;
  /** The text encoders read CLIP's whole 49408-token vocabulary, for repos with no tokenizer (which get the app's). */
  fullVocab?: boolean;
  /** Flat layout (one onnx/ folder): each component's `file` is its path in the repo. */
  flat?: boolean;
  /** Helper graphs a flat repo also holds (paths), which the app must not fetch. */
  helpers?: string[];
  /** The VAE's scaling_factor in its config (0.18215 unless SDXL's 0.13025). */
  vaeScalingFactor?: number;
}

