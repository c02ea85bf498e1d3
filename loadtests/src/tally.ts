import { LatencyHistogram } from './histogram.js';
import type { EndpointResult, ErrorKind, RepeatResult, TimelineSecond } from './schema.js';
import { percentile } from './stats.js';

/** An endpoint's key in results: the request as the scenario wrote it, before `{n}` is filled in. */
export const endpointKey = (spec: { method: string; path: string }) => `${spec.method} ${spec.path}`;

/** Why a request got no answer, from undici's and the socket's error codes. */
export function errorKind(error: unknown): ErrorKind {
  const codes = [error, (error as { cause?: unknown })?.cause].map(
    (e) => (e as { code?: string } | undefined)?.code ?? '',
  );
  const has = (pattern: RegExp) => codes.some((code) => pattern.test(code));
  if (has(/TIMEOUT|ETIMEDOUT/)) return 'timeout';
  if (has(/ECONNREFUSED/)) return 'refused';
  if (has(/ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED/)) return 'reset';
  if (has(/^HPE_|UND_ERR_RESPONSE|UND_ERR_INFO/)) return 'parse';
  return 'other';
}

const increment = <K extends string>(counts: Partial<Record<K, number>>, key: K) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

class EndpointTally {
  readonly histogram = new LatencyHistogram();
  readonly statuses: Record<string, number> = {};
  readonly errors: Partial<Record<ErrorKind, number>> = {};
  answered = 0;

  result(): EndpointResult {
    return {
      requests: this.answered,
      statuses: this.statuses,
      errors: this.errors,
      latency: this.histogram.summary(),
    };
  }
}

interface Second {
  /** Per endpoint: a mix is never one latency, not even for a second. */
  latencies: Map<string, number[]>;
  /** Answers outside 2xx: a fault's failures are errors and these. */
  non2xx: number;
  errors: number;
  /** Answers per X-Instance value in this second; only kept while someone watches the seconds live. */
  perInstance?: Record<string, number>;
}

/** One second of a repeat as it closes, for the live feed: every endpoint together, p50 and p99 in ms. */
export interface LiveSecond {
  second: number;
  requests: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  perInstance: Record<string, number>;
}

interface SecondsWatch {
  listener: (second: LiveSecond) => void;
  active: boolean;
}

/** Who watches the seconds of the tallies made now (one repeat is measured at a time). */
let currentWatch: SecondsWatch | undefined;

/**
 * Has every Tally made from now on report each second to `listener` once it is over (from a 1 s timer,
 * so a stall shows as seconds with nothing in them), and the last ones when its result is taken. The
 * load models make their own tallies; this reaches them without a parameter through every model. Returns
 * the function that stops it, for tallies already made too.
 */
export function watchSeconds(listener: (second: LiveSecond) => void): () => void {
  const current: SecondsWatch = { listener, active: true };
  currentWatch = current;
  return () => {
    current.active = false;
    if (currentWatch === current) currentWatch = undefined;
  };
}

/**
 * Everything one repeat counts: per endpoint (histogram, statuses, error kinds), per replica, per cache
 * status, and per second of the run. Every load model records into one of these.
 */
export class Tally {
  private readonly overall = new LatencyHistogram();
  private readonly endpoints = new Map<string, EndpointTally>();
  private readonly seconds: Second[] = [];
  private readonly perInstance: Record<string, number> = {};
  private readonly perCacheStatus: Record<string, number> = {};
  private readonly startCpu = process.cpuUsage();
  private non2xx = 0;
  private errors = 0;
  private readonly watch = currentWatch;
  /** Seconds already reported to the watch. */
  private reported = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(readonly startedAt = performance.now()) {
    // Once a second, never per request: the generator shares its CPU with the stack it measures.
    if (this.watch) this.timer = setInterval(() => this.reportSeconds(performance.now()), 1000).unref();
  }

  answered(
    endpoint: string,
    status: number,
    headers: { instance?: string; cache?: string },
    latencyMs: number,
    at = performance.now(),
  ): void {
    const tally = this.endpoint(endpoint);
    tally.answered++;
    tally.histogram.recordMs(latencyMs);
    increment(tally.statuses, String(status));
    this.overall.recordMs(latencyMs);
    increment(this.perInstance, headers.instance ?? '(none)');
    increment(this.perCacheStatus, headers.cache ?? 'none');
    const second = this.second(at);
    if (second.perInstance) increment(second.perInstance, headers.instance ?? '(none)');
    if (status < 200 || status > 299) {
      this.non2xx++;
      second.non2xx++;
    }
    const own = second.latencies.get(endpoint);
    if (own) own.push(latencyMs);
    else second.latencies.set(endpoint, [latencyMs]);
  }

  failed(endpoint: string, error: unknown, at = performance.now()): void {
    increment(this.endpoint(endpoint).errors, errorKind(error));
    this.errors++;
    this.second(at).errors++;
  }

  get count(): number {
    return this.overall.count;
  }

  /** The repeat's result; throughput over `durationSeconds` (default: since the tally started). */
  result(durationSeconds = (performance.now() - this.startedAt) / 1000): RepeatResult {
    const used = process.cpuUsage(this.startCpu);
    this.reportSeconds(Number.POSITIVE_INFINITY);
    clearInterval(this.timer);
    return {
      requests: this.overall.count,
      non2xx: this.non2xx,
      errors: this.errors,
      durationSeconds,
      requestsPerSecond: this.overall.count / durationSeconds,
      latency: this.overall.summary(),
      endpoints: Object.fromEntries([...this.endpoints].map(([key, tally]) => [key, tally.result()])),
      timeline: this.timeline(),
      perInstance: this.perInstance,
      perCacheStatus: this.perCacheStatus,
      generatorCpu: (used.user + used.system) / 1000 / Math.max(1, durationSeconds * 1000),
    };
  }

  private endpoint(key: string): EndpointTally {
    let tally = this.endpoints.get(key);
    if (!tally) this.endpoints.set(key, (tally = new EndpointTally()));
    return tally;
  }

  private second(at: number): Second {
    const index = Math.max(0, Math.floor((at - this.startedAt) / 1000));
    for (let i = this.seconds.length; i <= index; i++)
      this.seconds.push({ latencies: new Map(), non2xx: 0, errors: 0, perInstance: this.watch && {} });
    return this.seconds[index]!;
  }

  /** Reports the seconds over by `now` (all that have answers, at Infinity) that were not reported yet. */
  private reportSeconds(now: number): void {
    if (!this.watch?.active) return clearInterval(this.timer);
    // A second in which nothing completed is reported empty (a stall) but not added to the timeline.
    const until = Number.isFinite(now) ? Math.floor((now - this.startedAt) / 1000) : this.seconds.length;
    for (; this.reported < until; this.reported++)
      this.watch.listener(liveSecond(this.reported, this.seconds[this.reported] ?? EMPTY_SECOND));
  }

  private timeline(): TimelineSecond[] {
    return this.seconds.map(({ latencies, non2xx, errors }, second) => {
      const latency: TimelineSecond['latency'] = {};
      let requests = 0;
      for (const [endpoint, values] of latencies) {
        const sorted = values.sort((a, b) => a - b);
        requests += sorted.length;
        latency[endpoint] = { p50: percentile(sorted, 50)!, p99: percentile(sorted, 99)! };
      }
      return { second, requests, non2xx, errors, latency };
    });
  }
}

const EMPTY_SECOND: Second = { latencies: new Map(), non2xx: 0, errors: 0 };

/** A second's figures with every endpoint together (the report keeps them apart; a live view shows one line). */
function liveSecond(index: number, { latencies, non2xx, errors, perInstance }: Second): LiveSecond {
  const all = [...latencies.values()].flat().sort((a, b) => a - b);
  return {
    second: index,
    requests: all.length,
    non2xx,
    errors,
    p50: percentile(all, 50) ?? 0,
    p99: percentile(all, 99) ?? 0,
    perInstance: { ...perInstance },
  };
}
