import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cache } from '../scenarios/index.js';
import { expandPath, runClosed } from '../src/load.js';
import { spread } from '../src/stats.js';
import { startBenchStack, type BenchStack } from '../src/stacks/index.js';

const run = promisify(execFile);

// The Node runner against an independent tool, Debian's wrk (C, epoll), on the same warm variant of the
// same stack. They take turns, each going first in alternate rounds, so that both see the same machine.
// The margins are the issue's: if this fails, the runner is wrong, not the margins.
const warm = cache.variants.find((v) => v.name === 'hits, closed')!;
const connections = warm.model?.kind === 'closed' ? warm.model.connections : 8;
const SECONDS = 3;
const ROUNDS = 5;

interface Figures {
  requestsPerSecond: number;
  p50: number;
}

/** wrk's latency figures: "920.00us", "1.02ms", "2.00s". */
function wrkMilliseconds(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value);
  if (!match) throw new Error(`unexpected wrk latency ${value}`);
  return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
}

/** A wrk script sending the variant's mix in the Node runner's order (heavy with five names, then last). */
async function mixScript(directory: string): Promise<string> {
  const paths = Array.from({ length: 10 }, (_, n) => expandPath(cache.requests[n % 2]!.path, n));
  const file = join(directory, 'mix.lua');
  await writeFile(
    file,
    `local paths = { ${paths.map((p) => JSON.stringify(p)).join(', ')} }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
`,
  );
  return file;
}

async function wrk(baseUrl: string, script: string, seconds: number): Promise<Figures> {
  const { stdout } = await run('wrk', [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    '-s',
    script,
    baseUrl,
  ]);
  const p50 = /^\s+50%\s+(\S+)$/m.exec(stdout)?.[1];
  const rate = /^Requests\/sec:\s+([\d.]+)$/m.exec(stdout)?.[1];
  if (!p50 || !rate) throw new Error(`cannot read wrk's output:\n${stdout}`);
  expect(stdout, 'wrk saw errors').not.toMatch(/Non-2xx|Socket errors/);
  return { requestsPerSecond: Number(rate), p50: wrkMilliseconds(p50) };
}

async function runner(baseUrl: string, seconds: number): Promise<Figures> {
  const result = await runClosed(baseUrl, cache.requests, connections, seconds, { n: 0 });
  expect(result.errors + result.non2xx).toBe(0);
  // A warm variant answers hits (a key whose TTL ends during the test is refilled once).
  expect(result.perCacheStatus.HIT! / result.requests).toBeGreaterThan(0.99);
  return { requestsPerSecond: result.requestsPerSecond, p50: result.latency.p50 };
}

const median = (figures: Figures[], key: keyof Figures) => spread(figures.map((f) => f[key])).median;

describe('the Node runner agrees with wrk on a warm variant', () => {
  let stack: BenchStack;
  let directory: string;
  let script: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'scale-lab-wrk-'));
    script = await mixScript(directory);
    stack = await startBenchStack('local', { woodyEnv: {}, staticRateLimit: '2m', log: () => undefined });
    await stack.scale('woody-api', warm.woodyReplicas!, warm.woodyEnv!);
    // Fills the cache, and lets the replicas' JIT settle: the first seconds of load run measurably slower.
    await runner(stack.siteUrl, 6);
    await wrk(stack.siteUrl, script, 2);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it('within 20 % on throughput and 30 % on p50', async () => {
    const ours: Figures[] = [];
    const theirs: Figures[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        ours.push(await runner(stack.siteUrl, SECONDS));
        theirs.push(await wrk(stack.siteUrl, script, SECONDS));
      } else {
        theirs.push(await wrk(stack.siteUrl, script, SECONDS));
        ours.push(await runner(stack.siteUrl, SECONDS));
      }
    }
    const figures = `runner ${JSON.stringify(ours)}; wrk ${JSON.stringify(theirs)}`;
    console.log(
      `[loadtests] runner vs wrk, ${connections} connections, ${ROUNDS} × ${SECONDS} s: ${figures}`,
    );
    const throughput = median(ours, 'requestsPerSecond') / median(theirs, 'requestsPerSecond');
    const p50 = median(ours, 'p50') / median(theirs, 'p50');
    expect(
      Math.abs(throughput - 1),
      `throughput ratio ${throughput.toFixed(2)}: ${figures}`,
    ).toBeLessThanOrEqual(0.2);
    expect(Math.abs(p50 - 1), `p50 ratio ${p50.toFixed(2)}: ${figures}`).toBeLessThanOrEqual(0.3);
  }, 120_000);
});
