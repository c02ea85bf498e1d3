import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ServiceProcess = ChildProcess & {
  /** Everything the process printed so far (stdout and stderr). */
  output: () => string;
  exited: Promise<number | null>;
};

const tsxLoader = fileURLToPath(import.meta.resolve('tsx'));

/**
 * A service's real entry point (`src/main.ts`) as its own process, run from source through tsx with the
 * workspace's source condition, so tests need no build. The environment is exactly `env` plus PATH.
 */
export function spawnService(
  entry: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): ServiceProcess {
  let output = '';
  const child = spawn(
    process.execPath,
    ['--conditions=@scale-lab/source', '--import', tsxLoader, entry, ...args],
    {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return Object.assign(child, { output: () => output, exited });
}

/** Polls `${url}/health/ready` until it answers 200. */
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
