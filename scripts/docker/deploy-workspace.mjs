#!/usr/bin/env node
// Used by the apps' Dockerfiles (build stage): builds an app and the workspace libraries it depends on at
// run time, then lays out what its image needs, and nothing else:
//   <out>/manifests  root package.json + package-lock.json + the package.json of the app and those libs,
//                    with devDependencies and scripts dropped and the workspace list cut to them, so
//                    `npm install --omit=dev` installs their production dependencies at the locked versions;
//   <out>/dist       the compiled dist/ of the app and those libs.
// `npm ci --omit=dev --workspace app` is not enough: npm still installs every workspace and the
// production dependencies of test-only workspaces (vitest, testcontainers, autocannon…).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, globSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [appDir, out] = process.argv.slice(2);
if (!appDir || !out) {
  console.error('usage: deploy-workspace.mjs <app-dir> <out-dir>');
  process.exit(64);
}
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const root = readJson('package.json');

const dirByName = new Map();
for (const pattern of root.workspaces) {
  for (const dir of globSync(pattern)) {
    if (existsSync(join(dir, 'package.json'))) dirByName.set(readJson(join(dir, 'package.json')).name, dir);
  }
}

// Depth-first over production dependencies that are workspace packages: libraries come before their users.
const order = [];
const visit = (dir) => {
  if (order.includes(dir)) return;
  for (const name of Object.keys(readJson(join(dir, 'package.json')).dependencies ?? {})) {
    if (dirByName.has(name)) visit(dirByName.get(name));
  }
  order.push(dir);
};
if (!existsSync(join(appDir, 'package.json'))) {
  console.error(`${appDir} has no package.json`);
  process.exit(64);
}
visit(appDir);

for (const dir of order) {
  console.log(`building ${dir}`);
  execFileSync('npm', ['run', 'build', '--workspace', dir], { stdio: 'inherit' });
}

const strip = (manifest) => {
  const { devDependencies: _dev, scripts: _scripts, ...rest } = manifest;
  return JSON.stringify(rest, null, 2) + '\n';
};
mkdirSync(join(out, 'manifests'), { recursive: true });
writeFileSync(join(out, 'manifests/package.json'), strip({ ...root, workspaces: order }));
cpSync('package-lock.json', join(out, 'manifests/package-lock.json'));
for (const dir of order) {
  mkdirSync(join(out, 'manifests', dir), { recursive: true });
  writeFileSync(join(out, 'manifests', dir, 'package.json'), strip(readJson(join(dir, 'package.json'))));
  cpSync(join(dir, 'dist'), join(out, 'dist', dir, 'dist'), { recursive: true });
}
console.log(`deployable: ${order.join(', ')}`);
