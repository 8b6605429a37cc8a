// Draws the app's icons (a sun over hills on a dusk gradient) and writes them as PNGs into
// public/icons/, for the web app manifest. Run by hand (`npm run icons`); the PNGs are committed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';

/** RGBA pixels → PNG bytes (8-bit RGBA, no filter). */
function encodePng(size: number, rgba: Uint8Array): Buffer {
  const rows = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) rows.set(rgba.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  const chunk = (type: string, data: Buffer) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

const mix = (a: number[], b: number[], t: number) => a.map((v, i) => v + (b[i]! - v) * t);

/** The icon at `size` px; `maskable` keeps the drawing inside the safe 80 % circle and fills the corners. */
function draw(size: number, maskable: boolean): Uint8Array {
  const px = new Uint8Array(size * size * 4);
  const radius = maskable ? 0 : size * 0.2; // rounded square unless the platform masks it
  const inset = maskable ? 0.1 : 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size, v = y / size;
      // Rounded-square coverage (1 inside, 0 outside, antialiased over one pixel).
      const dx = Math.max(radius - x, x - (size - 1 - radius), 0), dy = Math.max(radius - y, y - (size - 1 - radius), 0);
      const alpha = radius ? Math.max(0, Math.min(1, radius - Math.hypot(dx, dy) + 0.5)) : 1;
      // Drawing coordinates shrunk into the safe zone for maskable icons.
      const s = (u - 0.5) / (1 - 2 * inset) + 0.5, t = (v - 0.5) / (1 - 2 * inset) + 0.5;
      let c = mix([59, 79, 216], [246, 142, 86], Math.min(1, Math.max(0, t))); // indigo → orange sky
      const sun = Math.hypot(s - 0.5, t - 0.52) / 0.2;
      if (sun < 1) c = mix([255, 236, 160], [255, 204, 96], sun);
      const hill1 = 0.72 + 0.06 * Math.sin(s * 5.5 + 0.6), hill2 = 0.8 + 0.05 * Math.sin(s * 4 + 2.4);
      if (t > hill1) c = [38, 62, 120];
      if (t > hill2) c = [24, 36, 78];
      const i = (y * size + x) * 4;
      px.set([...c.map(Math.round), Math.round(alpha * 255)], i);
    }
  }
  return px;
}

mkdirSync('public/icons', { recursive: true });
for (const [name, size, maskable] of [['icon-192', 192, false], ['icon-512', 512, false], ['icon-maskable-512', 512, true]] as const) {
  writeFileSync(`public/icons/${name}.png`, encodePng(size, draw(size, maskable)));
  console.log(`public/icons/${name}.png`);
}
