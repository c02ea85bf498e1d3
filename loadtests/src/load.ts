import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import type { RequestSpec } from '../scenarios/index.js';
import { LatencyHistogram } from './histogram.js';
import type { RepeatResult } from './schema.js';

/** Fills `{n}` (a counter: a new key each time) and `{nK}` (the counter modulo K) in a path. */
export function expandPath(path: string, n: number): string {
  return path.replace(/\{n(\d*)\}/g, (_, modulo: string) => String(modulo ? n % Number(modulo) : n));
}

/** Picks requests by weight, deterministically spread (no randomness between runs). */
export function weightedPicker(specs: readonly RequestSpec[]): () => RequestSpec {
  const wheel = specs.flatMap((spec) => Array<RequestSpec>(spec.weight ?? 1).fill(spec));
  let next = 0;
  return () => wheel[next++ % wheel.length]!;
}

class Tally {
  readonly histogram = new LatencyHistogram();
  readonly perInstance: Record<string, number> = {};
  readonly perCacheStatus: Record<string, number> = {};
  non2xx = 0;

  count(status: number, headers: Record<string, string | string[] | undefined>) {
    const header = (name: string) => {
      const value = headers[name] ?? headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    };
    const instance = header('x-instance') ?? '(none)';
    const cacheStatus = header('x-cache') ?? 'none';
    this.perInstance[instance] = (this.perInstance[instance] ?? 0) + 1;
    this.perCacheStatus[cacheStatus] = (this.perCacheStatus[cacheStatus] ?? 0) + 1;
    if (status < 200 || status > 299) this.non2xx++;
  }
}

function cpuShare(startCpu: NodeJS.CpuUsage, startedAt: number): number {
  const used = process.cpuUsage(startCpu);
  return (used.user + used.system) / 1000 / Math.max(1, performance.now() - startedAt);
}

/**
 * Closed model with autocannon: `connections` clients, each sending its next request when the previous
 * answered. Right for throughput; it under-reports tail latency when the server stalls (coordinated omission).
 */
export async function runClosed(
  baseUrl: string,
  specs: readonly RequestSpec[],
  connections: number,
  durationSeconds: number,
  counter: { n: number },
): Promise<RepeatResult> {
  const pick = weightedPicker(specs);
  const tally = new Tally();
  const startCpu = process.cpuUsage();
  const startedAt = performance.now();
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: durationSeconds,
    timeout: 60,
    setupClient: (client) => {
      client.on('response', (_status: number, _bytes: number, durationMs: number) =>
        tally.histogram.recordMs(durationMs),
      );
    },
    requests: [
      {
        setupRequest: (req) => {
          const spec = pick();
          return { ...req, method: spec.method, path: expandPath(spec.path, counter.n++), body: spec.body };
        },
        onResponse: (status, _body, _context, headers) => tally.count(status, headers ?? {}),
      },
    ],
  });
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  return {
    requests: result.requests.total,
    non2xx: tally.non2xx,
    errors: result.errors + result.timeouts,
    durationSeconds: elapsedSeconds,
    requestsPerSecond: result.requests.total / elapsedSeconds,
    latency: tally.histogram.summary(),
    perInstance: tally.perInstance,
    perCacheStatus: tally.perCacheStatus,
    generatorCpu: cpuShare(startCpu, startedAt),
  };
}

/** Burst: `count` requests sent at the same instant, each on its own connection, like the tutorial's 500 processes. */
export async function runBurst(
  baseUrl: string,
  specs: readonly RequestSpec[],
  count: number,
  counter: { n: number },
): Promise<RepeatResult> {
  const pick = weightedPicker(specs);
  const tally = new Tally();
  const agent = new Agent({ connections: null, pipelining: 0, connectTimeout: 30_000 });
  const perRequestMs: number[] = Array(count).fill(Number.NaN);
  let errors = 0;
  const startCpu = process.cpuUsage();
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const spec = pick();
      const sent = performance.now();
      try {
        const response = await request(`${baseUrl}${expandPath(spec.path, counter.n++)}`, {
          method: spec.method,
          body: spec.body,
          dispatcher: agent,
        });
        await response.body.text();
        perRequestMs[i] = performance.now() - sent;
        tally.histogram.recordMs(perRequestMs[i]!);
        tally.count(response.statusCode, response.headers);
      } catch {
        errors++;
      }
    }),
  );
  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  await agent.close();
  return {
    requests: count - errors,
    non2xx: tally.non2xx,
    errors,
    durationSeconds: elapsedSeconds,
    requestsPerSecond: (count - errors) / elapsedSeconds,
    latency: tally.histogram.summary(),
    perInstance: tally.perInstance,
    perCacheStatus: tally.perCacheStatus,
    generatorCpu: cpuShare(startCpu, startedAt),
    perRequestMs,
  };
}
