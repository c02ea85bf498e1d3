// The dashboard's load generator: fetch() from the page, open model (a rate: requests leave on a timer
// whatever the answers do) or closed model (a concurrency: each answer starts the next request).

/** Hard caps, so a mistyped figure cannot flood the stack (the page shares the student's machine). */
export const LIMITS = { rate: 500, concurrency: 64, seconds: 600 };
/** A request that takes longer than this counts as a "timeout" error: every wait is bounded. */
const REQUEST_TIMEOUT_MS = 10_000;
/** The open model still refuses to pile up more than this many requests in flight. */
const MAX_IN_FLIGHT = 256;

/** The targets: a path, or a generator of paths (the lab mix, a new heavy name each time). */
export function pathsFor(target, heavyName) {
  const heavy = `/api/misc/heavy?name=${encodeURIComponent(heavyName)}`;
  switch (target) {
    case 'time':
      return () => '/api/misc/time';
    case 'heavy':
      return () => heavy;
    case 'heavy-new': {
      let n = 0;
      const prefix = `${heavyName}-${Date.now().toString(36)}`;
      return () => `/api/misc/heavy?name=${encodeURIComponent(`${prefix}-${(n += 1)}`)}`;
    }
    case 'products-last':
      return () => '/api/products/last';
    case 'mix': {
      // The faults scenario's mix: 100 time : 5 products/last : 2 heavy, interleaved.
      const cycle = [];
      for (let i = 0; i < 107; i += 1)
        cycle.push(
          i % 21 === 10 && i < 105 ? '/api/products/last' : i === 53 || i === 106 ? heavy : '/api/misc/time',
        );
      let n = 0;
      return () => cycle[(n += 1) % cycle.length];
    }
    default:
      throw new Error(`unknown target ${target}: expected time, heavy, heavy-new, products-last or mix`);
  }
}

/** One GET, as the statistics want it. */
async function measure(path) {
  const started = performance.now();
  const answer = { path, status: undefined, instance: '', cache: '', error: undefined };
  try {
    const response = await fetch(path, {
      cache: 'no-store',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    answer.status = response.status;
    answer.instance = response.headers.get('x-instance') ?? '';
    answer.cache = response.headers.get('x-cache') ?? '';
  } catch (error) {
    answer.error = error?.name === 'TimeoutError' ? 'timeout' : 'network';
  }
  return { ...answer, ms: performance.now() - started, at: Date.now() };
}

/** Clamps a figure to [1, max]; NaN becomes 1. */
export function clamp(value, max) {
  return Math.min(max, Math.max(1, Math.round(Number(value)) || 1));
}

/**
 * A running load: start() sends until stop() or `seconds` have passed, calls onAnswer for every answer
 * and onEnd once. { mode: 'rate' | 'concurrency', value, seconds, nextPath }.
 */
export class Load {
  constructor({ mode, value, seconds, nextPath, onAnswer, onEnd }) {
    this.mode = mode;
    this.value = clamp(value, mode === 'rate' ? LIMITS.rate : LIMITS.concurrency);
    this.seconds = clamp(seconds, LIMITS.seconds);
    this.nextPath = nextPath;
    this.onAnswer = onAnswer;
    this.onEnd = onEnd;
    this.inFlight = 0;
    this.sent = 0;
    this.running = false;
  }

  start() {
    this.running = true;
    this.startedAt = performance.now();
    this.deadline = setTimeout(() => this.stop(), this.seconds * 1000);
    if (this.mode === 'rate') this.ticker = setInterval(() => this.tick(), 20);
    else for (let i = 0; i < this.value; i += 1) this.loop();
  }

  stop() {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.deadline);
    clearInterval(this.ticker);
    this.onEnd();
  }

  /** Open model: send what the rate owes since the start (timers are late, never early). */
  tick() {
    const owed = Math.floor(((performance.now() - this.startedAt) / 1000) * this.value) - this.sent;
    for (let i = 0; i < owed && this.inFlight < MAX_IN_FLIGHT; i += 1) void this.send();
    this.sent += Math.max(0, owed);
  }

  async loop() {
    while (this.running) await this.send();
  }

  async send() {
    this.inFlight += 1;
    const answer = await measure(this.nextPath());
    this.inFlight -= 1;
    this.onAnswer(answer);
  }
}
