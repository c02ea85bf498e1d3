import { basename, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess } from '@scale-lab/local-services';
import { testLogFile } from './logs.js';

const tsxLoader = fileURLToPath(import.meta.resolve('tsx'));

export interface ServiceOptions {
  /** Command-line arguments after the entry point. */
  args?: readonly string[];
  /** Its own process group: stop() and kill() also end the processes it started (see ManagedProcess). */
  processGroup?: boolean;
}

/**
 * A service's real entry point (`src/main.ts`) as its own process, started, run from source through tsx with
 * the workspace's source condition, so tests need no build. The environment is exactly `env` plus PATH (and
 * LOG_LEVEL info unless given). Its output goes to `output()` and to a log file of this test file, whose new
 * lines a failing test prints (see logs.ts), not to the terminal.
 */
export function spawnService(
  entry: string,
  env: Record<string, string>,
  options: ServiceOptions = {},
): ManagedProcess {
  const name = `${basename(dirname(dirname(entry)))}-${basename(entry, extname(entry))}`;
  const service = new ManagedProcess({
    name,
    command: process.execPath,
    args: ['--conditions=@scale-lab/source', '--import', tsxLoader, entry, ...(options.args ?? [])],
    logFile: testLogFile(name),
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
    processGroup: options.processGroup,
  });
  service.start();
  return service;
}

/** Polls `${url}/health/ready` until it answers 200; fails at once, with its output, if `service` exits. */
export function waitForReady(service: ManagedProcess, url: string, timeoutMs = 30_000): Promise<void> {
  return service.waitUntil(async () => (await fetch(`${url}/health/ready`)).ok, timeoutMs);
}
