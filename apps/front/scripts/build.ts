// Builds the deployable site into dist/: the static files plus a generated image of several MB whose
// file name carries its content hash (so a CDN may cache it forever). Nothing is downloaded.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bigImage, imageName, MIN_BYTES } from '../src/big-image.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

await rm(dist, { recursive: true, force: true });
await cp(join(root, 'public'), dist, { recursive: true });
// The dashboard's chart library, vendored from node_modules (a devDependency): the page loads nothing from
// the internet, and uPlot's stylesheet is a file (the CSP has no 'unsafe-inline').
const resolve = createRequire(import.meta.url).resolve;
await mkdir(join(dist, 'vendor'), { recursive: true });
for (const file of ['uPlot.esm.js', 'uPlot.min.css', '../LICENSE'])
  await cp(
    resolve(`uplot/dist/${file}`),
    join(dist, 'vendor', file === '../LICENSE' ? 'uPlot.LICENSE' : file),
  );
const image = bigImage();
if (image.length < MIN_BYTES)
  throw new Error(`big image is only ${image.length} bytes, expected ≥ ${MIN_BYTES}`);
const name = imageName(image);
await mkdir(join(dist, 'assets'), { recursive: true });
await writeFile(join(dist, 'assets', name), image);
const indexPath = join(dist, 'index.html');
await writeFile(indexPath, (await readFile(indexPath, 'utf8')).replaceAll('__BIG_IMAGE__', name));
await writeFile(
  join(dist, 'assets', 'manifest.json'),
  JSON.stringify({ bigImage: `assets/${name}`, bytes: image.length }, null, 2),
);
console.log(`front: dist/ written, assets/${name} is ${(image.length / 1024 / 1024).toFixed(1)} MiB`);
