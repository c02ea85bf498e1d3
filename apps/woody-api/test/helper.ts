import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@scale-lab/service';
import { createTestDatabase } from '@scale-lab/testing';
import { afterAll, inject } from 'vitest';
import { buildApp } from '../src/app.js';
import { woodyConfigSchema, type WoodyConfig } from '../src/config.js';

export type Env = Record<string, string>;

export function testConfig(env: Env): WoodyConfig {
  return loadConfig(woodyConfigSchema, { LOG_LEVEL: 'warn', DB_SLOW_MS: '300', HEAVY_MS: '50', ...env });
}

/** A fresh app on a fresh database; closed after the file's tests. */
export async function buildTestApp(env: Env = {}) {
  const mysqlUrl = env.MYSQL_URL ?? (await createTestDatabase(inject('mysqlUrl'), 'woody'));
  const app = await buildApp(testConfig({ ...env, MYSQL_URL: mysqlUrl }));
  afterAll(() => app.close());
  await app.ready();
  await app.databaseReady;
  return app;
}

const mainEntry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsxLoader = fileURLToPath(import.meta.resolve('tsx'));

export interface RunningService {
  process: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** woody-api's real entry point as its own process (through tsx, so no build is needed). */
export function spawnWoody(env: Env): ChildProcess & { output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, ['--import', tsxLoader, mainEntry], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', NODE_OPTIONS: '--conditions=@scale-lab/source', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return Object.assign(child, { output: () => output, exited });
}

export async function waitForReady(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not become ready within ${timeoutMs} ms`);
}
