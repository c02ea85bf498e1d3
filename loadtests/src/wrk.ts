import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findBinary } from '@scale-lab/local-services';

const run = promisify(execFile);

export interface WrkOptions {
  connections: number;
  seconds: number;
  /** Aborting kills wrk (Ctrl-C). */
  signal?: AbortSignal;
}

/** wrk's path; a MissingBinaryError says which Debian package provides it when it is not installed. */
export const findWrk = (): string => findBinary(['wrk'], 'wrk');

/**
 * Requests per second from wrk's report. Non-2xx answers or socket errors make the rate meaningless (an
 * error page is cheaper than an answer), so they throw, with wrk's report.
 */
export function parseWrk(stdout: string, url: string): number {
  const rate = /^Requests\/sec:\s+([\d.]+)\s*$/m.exec(stdout)?.[1];
  if (rate === undefined) throw new Error(`cannot read wrk's report for ${url}:\n${stdout}`);
  const problems = stdout.match(/^\s*(Non-2xx or 3xx responses:.*|Socket errors:.*)$/gm);
  if (problems) throw new Error(`wrk saw errors at ${url}: ${problems.map((p) => p.trim()).join('; ')}`);
  return Number(rate);
}

/** One wrk run (one thread) against `url`; bounded: wrk is killed if it runs 15 s past its duration. */
export async function wrkRequestsPerSecond(wrk: string, url: string, options: WrkOptions): Promise<number> {
  const { stdout } = await run(wrk, ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, url], {
    timeout: (options.seconds + 15) * 1000,
    signal: options.signal,
  });
  return parseWrk(stdout, url);
}
