// Builds the deployable site into dist/: the static files plus a generated image of several MB whose
// file name carries its content hash (so a CDN may cache it forever). Nothing is downloaded.
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const WIDTH = 2048;
const HEIGHT = 1152;
const MIN_BYTES = 5 * 1024 * 1024;

/** mulberry32: a tiny seeded PRNG, so every build makes the same bytes and the same hash. */
function random(seed) {
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
export function bigImage() {
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

await rm(dist, { recursive: true, force: true });
await cp(join(root, 'public'), dist, { recursive: true });
const image = bigImage();
if (image.length < MIN_BYTES)
  throw new Error(`big image is only ${image.length} bytes, expected ≥ ${MIN_BYTES}`);
const hash = createHash('sha256').update(image).digest('hex').slice(0, 12);
const imageName = `big-image.${hash}.png`;
await mkdir(join(dist, 'assets'), { recursive: true });
await writeFile(join(dist, 'assets', imageName), image);
const indexPath = join(dist, 'index.html');
await writeFile(indexPath, (await readFile(indexPath, 'utf8')).replaceAll('__BIG_IMAGE__', imageName));
await writeFile(
  join(dist, 'assets', 'manifest.json'),
  JSON.stringify({ bigImage: `assets/${imageName}`, bytes: image.length }, null, 2),
);
console.log(`front: dist/ written, assets/${imageName} is ${(image.length / 1024 / 1024).toFixed(1)} MiB`);
