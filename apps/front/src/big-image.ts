import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';

const WIDTH = 2048;
const HEIGHT = 1152;
/** The lab's image was 5 MB; ours must be at least that for the offload effect to show. */
export const MIN_BYTES = 5 * 1024 * 1024;

/** mulberry32: a tiny seeded PRNG, so every build makes the same bytes and the same hash. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sunset gradient with fine grain: the grain keeps PNG from compressing it below the lab's size. */
export function bigImage(): Buffer {
  const png = new PNG({ width: WIDTH, height: HEIGHT, colorType: 2, inputHasAlpha: false });
  const next = random(2024);
  const data = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      const v = y / HEIGHT;
      const grain = () => Math.floor(next() * 96);
      data[i] = Math.min(255, 200 - 80 * v + (x / WIDTH) * 40 + grain() - 48);
      data[i + 1] = Math.min(255, 90 + 60 * v + grain() - 48);
      data[i + 2] = Math.min(255, 60 + 150 * v + grain() - 48);
    }
  }
  png.data = data;
  return PNG.sync.write(png, { colorType: 2, inputHasAlpha: false, deflateLevel: 6 });
}

/** The file name carries the content hash, so a CDN may cache it for ever (immutable). */
export function imageName(image: Buffer): string {
  return `big-image.${createHash('sha256').update(image).digest('hex').slice(0, 12)}.png`;
}
