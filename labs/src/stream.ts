import { setTimeout as sleep } from 'node:timers/promises';
import { call, ok, type Outcome } from './http.js';

/** Each loop sends at most one request per this long: a steady probe, not a load test. */
const PACE_MS = 10;

export interface Sample {
  /** performance.now() when the answer came. */
  at: number;
  outcome: Outcome;
}

/**
 * A steady stream of requests to one URL (`concurrency` at a time, each on its own connection) until
 * stop(): what answered, when, and what failed, while something else happens to the stack.
 */
export class RequestStream {
  readonly samples: Sample[] = [];
  private running = true;
  private readonly loops: Promise<void>[];
  private watchers: ((sample: Sample) => boolean)[] = [];

  constructor(
    private readonly url: string,
    concurrency: number,
  ) {
    this.loops = Array.from({ length: concurrency }, () => this.loop());
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const started = performance.now();
      const outcome = await call(this.url, { timeoutMs: 10_000 });
      const sample = { at: performance.now(), outcome };
      this.samples.push(sample);
      this.watchers = this.watchers.filter((watcher) => !watcher(sample));
      await sleep(Math.max(0, started + PACE_MS - performance.now()));
    }
  }

  /** Calls `watcher` on every new sample until it returns true. */
  watch(watcher: (sample: Sample) => boolean): void {
    this.watchers.push(watcher);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get failed(): Sample[] {
    return this.samples.filter((sample) => !ok(sample.outcome));
  }
}
