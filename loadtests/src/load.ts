import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Agent, Pool, type Dispatcher } from 'undici';
import { requestWheel, type RequestSpec } from '../scenarios/index.js';
import { Http1Connection, http1Request, type Http1Answer } from './http1.js';
import type { RepeatResult } from './schema.js';
import { percentile } from './stats.js';
import { endpointKey, Tally } from './tally.js';

/** No request waits longer than this for its answer; past it, it counts as a timeout error. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** Open model: a send that leaves more than this after its slot counts as a missed slot. */
export const SLOT_TOLERANCE_MS = 5;

/** Fills `{n}` (a counter: a new key each time) and `{nK}` (the counter modulo K) in a path. */
export function expandPath(path: string, n: number): string {
  return path.replace(/\{n(\d*)\}/g, (_, modulo: string) => String(modulo ? n % Number(modulo) : n));
}

/** Picks requests by weight, deterministically spread (no randomness between runs). */
export function weightedPicker(specs: readonly RequestSpec[]): () => RequestSpec {
  const wheel = requestWheel(specs);
  let next = 0;
  return () => wheel[next++ % wheel.length]!;
}

/** One request of the mix, ready to send: its endpoint key and its bytes built once, not per request. */
interface PlannedRequest {
  key: string;
  bytes: Buffer;
}

/**
 * The mix as a function of the request counter. Requests without `{n}` are serialised once; that matters
 * at tens of thousands of requests per second on a CPU the generator shares with the stack.
 */
export function planMix(host: string, specs: readonly RequestSpec[]): (n: number) => PlannedRequest {
  const pick = weightedPicker(specs);
  const bytes = (spec: RequestSpec, path: string) => http1Request(spec.method, path, host, spec.body);
  const fixed = new Map(
    specs.map((spec) => [spec, { key: endpointKey(spec), bytes: bytes(spec, spec.path) }]),
  );
  return (n) => {
    const spec = pick();
    const planned = fixed.get(spec)!;
    if (!spec.path.includes('{n')) return planned;
    return { key: planned.key, bytes: bytes(spec, expandPath(spec.path, n)) };
  };
}

const dispatchOptions = (origin: string, spec: RequestSpec, path: string): Dispatcher.DispatchOptions => ({
  origin,
  path,
  method: spec.method,
  body: spec.body ?? null,
  headers: spec.body ? { 'content-type': 'application/json' } : undefined,
  headersTimeout: REQUEST_TIMEOUT_MS,
  bodyTimeout: REQUEST_TIMEOUT_MS,
});

interface Answer {
  status: number;
  instance?: string;
  cache?: string;
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * One request through undici's lowest-level API: no stream or body object per request, so the generator
 * spends as little of the shared CPU as it can (its own time is part of every latency it measures).
 */
function exchange(dispatcher: Dispatcher, origin: string, spec: RequestSpec, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const answer: Answer = { status: 0 };
    dispatcher.dispatch(dispatchOptions(origin, spec, path), {
      onRequestStart() {},
      onResponseStart(_controller, status, headers) {
        answer.status = status;
        answer.instance = first(headers['x-instance']);
        answer.cache = first(headers['x-cache']);
      },
      onResponseData() {},
      onResponseEnd: () => resolve(answer),
      onResponseError: (_controller, error) => reject(error),
    });
  });
}

/**
 * Sends one request of the mix and records its answer or its error in the tally, with its latency from
 * `startedAt` (the open model passes the slot's intended time). What completes after `countUntil` is not
 * recorded. Returns when it completed.
 */
async function sendAndRecord(
  tally: Tally,
  dispatcher: Dispatcher,
  origin: string,
  spec: RequestSpec,
  n: number,
  startedAt: number,
  countUntil = Number.POSITIVE_INFINITY,
): Promise<number> {
  const key = endpointKey(spec);
  try {
    const answer = await exchange(dispatcher, origin, spec, expandPath(spec.path, n));
    const at = performance.now();
    if (at <= countUntil) tally.answered(key, answer.status, answer, at - startedAt, at);
    return at;
  } catch (error) {
    const at = performance.now();
    if (at <= countUntil) tally.failed(key, error, at);
    return at;
  }
}

const originOf = (baseUrl: string) => new URL(baseUrl).origin;

/**
 * One client of the closed model: one connection, one request at a time, the next sent from the previous
 * one's answer, as wrk does (see http1.ts for why not undici here).
 */
class ClosedClient {
  private readonly connection: Http1Connection;
  private planned!: PlannedRequest;
  private sent = 0;
  /** How long the request still unanswered at the deadline had been in flight by then. */
  unfinishedMs = 0;

  constructor(
    url: URL,
    private readonly next: () => PlannedRequest,
    private readonly tally: Tally,
    private readonly deadline: number,
    private readonly done: () => void,
  ) {
    this.connection = new Http1Connection(
      url.hostname,
      Number(url.port || 80),
      REQUEST_TIMEOUT_MS,
      (answer) => this.answered(answer),
      (error) => this.failed(error),
    );
  }

  send(): void {
    this.sent = performance.now();
    if (this.sent >= this.deadline) {
      this.connection.close();
      return this.done();
    }
    this.planned = this.next();
    this.connection.send(this.planned.bytes);
  }

  private answered(answer: Http1Answer): void {
    const at = performance.now();
    if (at <= this.deadline) this.tally.answered(this.planned.key, answer.status, answer, at - this.sent, at);
    else this.unfinishedMs += this.deadline - this.sent;
    this.send();
  }

  private failed(error: Error): void {
    const at = performance.now();
    if (at <= this.deadline) this.tally.failed(this.planned.key, error, at);
    // The next request opens a new connection; give a refusing server a moment.
    setTimeout(() => this.send(), 10);
  }
}

/**
 * Closed model: `connections` clients, each on its own connection, sending its next request when the
 * previous answered. Right for throughput; it under-reports tail latency when the server stalls
 * (coordinated omission). Answers after the deadline are awaited but not counted, so the servers count at
 * most one request per connection more than this does.
 */
export async function runClosed(
  baseUrl: string,
  specs: readonly RequestSpec[],
  connections: number,
  durationSeconds: number,
  counter: { n: number },
): Promise<RepeatResult> {
  const url = new URL(baseUrl);
  const plan = planMix(url.host, specs);
  const tally = new Tally();
  const deadline = tally.startedAt + durationSeconds * 1000;
  const finished = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<ClosedClient>((resolve) => {
          const client: ClosedClient = new ClosedClient(
            url,
            () => plan(counter.n++),
            tally,
            deadline,
            () => resolve(client),
          );
          client.send();
        }),
    ),
  );
  // Time that requests still unanswered at the deadline had waited by then: Little's law needs it on
  // short runs of slow requests, where those make up a large part of the time in flight.
  const unfinishedMs = finished.reduce((sum, client) => sum + client.unfinishedMs, 0);
  return { ...tally.result(durationSeconds), unfinishedMs };
}

/**
 * Open model: requests start on a fixed schedule (`ratePerSecond`), whether or not earlier ones have
 * answered, and each latency counts from its slot's intended start, so a stalled server shows in the tail
 * instead of pausing the generator (no coordinated omission). Sends that left late are counted.
 */
export async function runOpen(
  baseUrl: string,
  specs: readonly RequestSpec[],
  ratePerSecond: number,
  durationSeconds: number,
  counter: { n: number },
): Promise<RepeatResult> {
  const origin = originOf(baseUrl);
  const pick = weightedPicker(specs);
  // Enough connections that a slow answer never holds up the schedule at the rates we use.
  const pool = new Pool(origin, { connections: 512, pipelining: 1 });
  const tally = new Tally();
  const slots = Math.max(1, Math.round(ratePerSecond * durationSeconds));
  const interval = 1000 / ratePerSecond;
  const lags: number[] = [];
  const inFlight: Promise<number>[] = [];
  for (let slot = 0; slot < slots;) {
    const now = performance.now();
    for (; slot < slots && tally.startedAt + slot * interval <= now; slot++) {
      const intended = tally.startedAt + slot * interval;
      lags.push(now - intended);
      inFlight.push(sendAndRecord(tally, pool, origin, pick(), counter.n++, intended));
    }
    if (slot < slots) await sleepUntil(tally.startedAt + slot * interval);
  }
  await Promise.all(inFlight);
  await pool.close();
  const sorted = lags.sort((a, b) => a - b);
  return {
    ...tally.result(),
    schedule: {
      ratePerSecond,
      missedSlots: lags.filter((lag) => lag > SLOT_TOLERANCE_MS).length,
      toleranceMs: SLOT_TOLERANCE_MS,
      lagP99Ms: percentile(sorted, 99) ?? 0,
      lagMaxMs: percentile(sorted, 100) ?? 0,
    },
  };
}

/** How early the open model's timer wakes before a slot, to wait out the rest without the timer's jitter. */
const SPIN_MS = 1.5;

/**
 * Waits until `at` to within a few microseconds. Node's timers fire up to about a millisecond late, and the
 * open model counts latency from the slot, so a late timer would add its lateness to every latency: a
 * 0.5 ms answer read as 1.5 ms. The timer wakes SPIN_MS early; the rest passes in setImmediate turns,
 * which still let I/O (the answers) through. The cost is CPU: up to SPIN_MS per slot.
 */
async function sleepUntil(at: number): Promise<void> {
  const ahead = at - performance.now() - SPIN_MS;
  if (ahead > 0) await sleep(ahead);
  while (performance.now() < at) await nextTurn();
}

/**
 * Burst: `count` requests sent at the same instant, each on its own connection, like the tutorial's 500
 * processes. Also records each request's time in sending order, and the first and last answer.
 */
export async function runBurst(
  baseUrl: string,
  specs: readonly RequestSpec[],
  count: number,
  counter: { n: number },
): Promise<{ result: RepeatResult; firstAnswerMs: number; lastAnswerMs: number }> {
  const origin = originOf(baseUrl);
  const pick = weightedPicker(specs);
  const agent = new Agent({ connections: null, pipelining: 0, connectTimeout: 30_000 });
  const tally = new Tally();
  const completedAt = await Promise.all(
    Array.from({ length: count }, () =>
      sendAndRecord(tally, agent, origin, pick(), counter.n++, performance.now()),
    ),
  );
  await agent.close();
  const since = completedAt.map((at) => at - tally.startedAt);
  return {
    result: { ...tally.result(), perRequestMs: since },
    firstAnswerMs: Math.min(...since),
    lastAnswerMs: Math.max(...since),
  };
}
