import { createHash, pbkdf2Sync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { registerWorkGateGauges, WorkGate } from '@scale-lab/service';

export interface HeavyOptions {
  mode: 'sleep' | 'cpu';
  durationMs: number;
  concurrency: number;
  cpuIterations: number;
  /** Requests that may wait for a slot; one more is answered 503 at once instead of queueing without end. */
  queueMax: number;
}

export interface HeavyResult {
  name: string;
  result: string;
  mode: 'sleep' | 'cpu';
  /** Time spent computing, not waiting in the queue. */
  computeMs: number;
  queuedMs: number;
}

/**
 * The deliberately slow work of the lab, behind the shared FIFO gate (WorkGate): with concurrency 1 one
 * replica serves one heavy computation at a time (the lab's single-threaded Flask), so only more replicas
 * raise throughput.
 */
export class HeavyGate {
  private readonly gate: WorkGate;

  constructor(private readonly options: HeavyOptions) {
    this.gate = new WorkGate({ name: 'heavy', concurrency: options.concurrency, queueMax: options.queueMax });
  }

  get active(): number {
    return this.gate.active;
  }

  get waiting(): number {
    return this.gate.waiting;
  }

  /** Runs `work` when a slot is free, in arrival order. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return this.gate.run(work);
  }

  /** Waits for a slot, then computes; a full queue refuses at once (503, Retry-After) rather than wait. */
  compute(name: string): Promise<HeavyResult> {
    const enqueued = performance.now();
    return this.gate.admit(() => this.computeNow(name, enqueued));
  }

  /** Computes at once; only for callers that already hold a slot through run(). */
  async computeNow(name: string, enqueued = performance.now()): Promise<HeavyResult> {
    const started = performance.now();
    const result = await this.work(name);
    return {
      name,
      result,
      mode: this.options.mode,
      computeMs: Math.round(performance.now() - started),
      queuedMs: Math.round(started - enqueued),
    };
  }

  private async work(name: string): Promise<string> {
    if (this.options.mode === 'cpu') {
      // Blocks the event loop on purpose: this is what CPU-bound work does to a Node process.
      return pbkdf2Sync(name, 'scale-lab', this.options.cpuIterations, 16, 'sha256').toString('hex');
    }
    await sleep(this.options.durationMs);
    return createHash('sha256').update(name).digest('hex').slice(0, 32);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    heavyGate: HeavyGate;
  }
}

export const heavyPlugin = fp<HeavyOptions>(
  async (app: FastifyInstance, options) => {
    const gate = new HeavyGate(options);
    app.decorate('heavyGate', gate);
    registerWorkGateGauges(gate, { registry: app.metrics, prefix: 'heavy', what: 'Heavy computations' });
  },
  { name: 'woody-heavy', dependencies: ['scale-lab-metrics'] },
);
