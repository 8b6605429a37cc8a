// Values for the symbolic dimensions of each component, for onnxruntime's freeDimensionOverrides
// (WebNN needs every dimension fixed before it builds a graph). The names are those the public
// loaders pin: onnxruntime-inference-examples js/sd-turbo (optimum names: batch_size, num_channels,
// height, width, sequence_length, num_channels_latent, height_latent, width_latent) and
// webnn-developer-preview's demos (batch, channels, sequence, unet_sample_*, unet_time_batch,
// unet_hidden_*, unet_text_embeds_*, unet_time_ids_*). A name the model does not use is ignored.

/** The image (in pixels) and latent shape to pin. */
export interface PinnedShape {
  width: number;
  height: number;
}

/**
 * The freeDimensionOverrides for `component` at batch 1 and 77 tokens: in the UNet and VAE
 * decoder `height`/`width` are latent sizes (pixels / `scale`), in the VAE encoder pixels.
 */
export function freeDimensionOverrides(component: string, shape: PinnedShape, latent = { channels: 4, scale: 8 }): Record<string, number> {
  const h = Math.floor(shape.height / latent.scale);
  const w = Math.floor(shape.width / latent.scale);
  const text = { batch_size: 1, batch: 1, sequence_length: 77, sequence: 77 };
  switch (component) {
    case 'text_encoder':
    case 'text_encoder_2':
      return text;
    case 'unet':
      return {
        ...text,
        steps: 1,
        num_channels: latent.channels,
        channels: latent.channels,
        height: h,
        width: w,
        unet_sample_batch: 1,
        unet_sample_channels: latent.channels,
        unet_sample_height: h,
        unet_sample_width: w,
        unet_time_batch: 1,
        unet_hidden_batch: 1,
        unet_hidden_sequence: 77,
        unet_text_embeds_batch: 1,
        unet_text_embeds_size: 1280, // SDXL's pooled width (OpenCLIP bigG's projection)
        unet_time_ids_batch: 1,
        unet_time_ids_size: 6,
      };
    case 'vae_decoder':
      return { batch_size: 1, batch: 1, num_channels_latent: latent.channels, channels: latent.channels, height_latent: h, width_latent: w, height: h, width: w };
    case 'vae_encoder':
      return { batch_size: 1, batch: 1, num_channels: 3, channels: 3, height: shape.height, width: shape.width };
    default:
      return {};
  }
}
