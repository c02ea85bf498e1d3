import pLimit, { type LimitFunction } from 'p-limit';
import { Gauge, type Registry } from 'prom-client';
import { serviceUnavailable } from './errors.js';

export interface WorkGateOptions {
  /** What waits here, for the 503 message ("heavy" → "heavy queue full: …"). */
  name: string;
  /** How many pieces of work run at once on this replica; the rest wait in arrival order. */
  concurrency: number;
  /** Requests that may wait for a slot; one more is answered 503 at once instead of queueing without end. */
  queueMax: number;
}

/**
 * A FIFO gate in front of slow work: with concurrency 1 one replica serves one request at a time (the
 * labs' single-threaded Flask), so only more replicas raise throughput. A bounded queue keeps an overload
 * from turning into unbounded waits: past it the caller gets a 503 with Retry-After at once.
 */
export class WorkGate {
  private readonly limit: LimitFunction;

  constructor(private readonly options: WorkGateOptions) {
    this.limit = pLimit(options.concurrency);
  }

  get active(): number {
    return this.limit.activeCount;
  }

  get waiting(): number {
    return this.limit.pendingCount;
  }

  /** Every slot busy and the queue at its bound: one more request would wait beyond what we allow. */
  get full(): boolean {
    return this.active >= this.options.concurrency && this.waiting >= this.options.queueMax;
  }

  /** Runs `work` when a slot is free, in arrival order, whatever the queue's length. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return this.limit(work);
  }

  /** Like run(), but a full queue refuses at once (503, Retry-After) rather than wait. */
  admit<T>(work: () => Promise<T>): Promise<T> {
    if (this.full) {
      return Promise.reject(
        serviceUnavailable(
          `${this.options.name} queue full: ${this.waiting} requests already wait on this replica`,
        ),
      );
    }
    return this.run(work);
  }
}

export interface WorkGateGaugeOptions {
  registry: Registry;
  /** Metric name prefix: `<prefix>_queue_depth` and `<prefix>_active`. */
  prefix: string;
  /** What the gate holds, for the help text ("Heavy computations"). */
  what: string;
}

/** Exposes the gate's waiting and running counts, read at scrape time. */
export function registerWorkGateGauges(
  gate: Pick<WorkGate, 'active' | 'waiting'>,
  { registry, prefix, what }: WorkGateGaugeOptions,
) {
  new Gauge({
    name: `${prefix}_queue_depth`,
    help: `${what} waiting for a free slot on this replica`,
    registers: [registry],
    collect() {
      this.set(gate.waiting);
    },
  });
  new Gauge({
    name: `${prefix}_active`,
    help: `${what} running on this replica`,
    registers: [registry],
    collect() {
      this.set(gate.active);
    },
  });
}
