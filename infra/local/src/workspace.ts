import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: the nearest folder above this module with nx.json, whether it runs from src or dist. */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${from}: is this a Scale Lab checkout?`);
  }
}

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** A file of this repository, by its path from the root (e.g. 'apps/woody-api/dist/main.js'). */
export function repoFile(path: string): string {
  return join(repoRoot, path);
}
