import { spawn, type ChildProcess } from 'node:child_process';
import { basename, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendToLog, testLogFile } from './logs.js';

export type ServiceProcess = ChildProcess & {
  /** Everything the process printed so far (stdout and stderr). */
  output: () => string;
  /** The same output in a file, whose new lines a failing test prints (see logs.ts). */
  logFile: string;
  exited: Promise<number | null>;
};

const tsxLoader = fileURLToPath(import.meta.resolve('tsx'));

/**
 * A service's real entry point (`src/main.ts`) as its own process, run from source through tsx with the
 * workspace's source condition, so tests need no build. The environment is exactly `env` plus PATH.
 * Its output goes to `output()` and to a log file, not to the terminal.
 */
export function spawnService(
  entry: string,
  env: Record<string, string>,
  args: readonly string[] = [],
): ServiceProcess {
  let output = '';
  const logFile = testLogFile(`${basename(dirname(dirname(entry)))}-${basename(entry, extname(entry))}`);
  const child = spawn(
    process.execPath,
    ['--conditions=@scale-lab/source', '--import', tsxLoader, entry, ...args],
    {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk: Buffer) => {
      output += chunk;
      appendToLog(logFile, chunk);
    });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return Object.assign(child, { output: () => output, logFile, exited });
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
