import { setTimeout as sleep } from 'node:timers/promises';
import { registerWorkGateGauges, WorkGate } from '@scale-lab/service';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface MovieWorkOptions {
  /** What each request costs before anything else, in ms. */
  workMs: number;
  /** Requests one replica works on at once; the rest wait in arrival order. */
  concurrency: number;
  /** Requests that may wait; one more is answered 503 with Retry-After at once. */
  queueMax: number;
}

/**
 * The optional per-request cost of the tutorial's Movie service: a sleep (the tutorial's Flask blocks for
 * the duration of its work) behind a FIFO gate, paid before the cache, since the lesson is about the
 * service's capacity. Registered in the scope of the movie routes only, and only when the cost is on.
 */
export const movieWorkPlugin = fp<MovieWorkOptions>(
  async (app: FastifyInstance, { workMs, concurrency, queueMax }) => {
    const gate = new WorkGate({ name: 'movie work', concurrency, queueMax });
    registerWorkGateGauges(gate, { registry: app.metrics, prefix: 'movie_work', what: 'Movie requests' });
    app.addHook('onRequest', async () => {
      await gate.admit(() => sleep(workMs));
    });
  },
  { name: 'movie-work', dependencies: ['scale-lab-metrics'] },
);
