import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { serviceUnavailable } from '@scale-lab/service';

export interface LoadSheddingOptions {
  /** Mean event-loop delay (ms) over a sample past which API requests are answered 503; 0 turns it off. */
  maxEventLoopDelayMs: number;
  /** How often the delay is sampled (ms). */
  sampleIntervalMs?: number;
}

/**
 * Health checks and metrics are still answered under pressure: a busy replica is not a dead one (Swarm
 * would replace a replica whose health check fails), and its metrics are what shows the pressure.
 */
const exempt = (request: FastifyRequest) => {
  const url = request.routeOptions.url ?? '';
  return url.startsWith('/health/') || url === '/metrics';
};

/** under-pressure reports Infinity when the loop was blocked for a whole sample and took no measurement. */
const lag = (ms: number) =>
  Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'a whole sample interval or more';

/**
 * Load shedding with @fastify/under-pressure: while the event loop lags (CPU-bound heavy work in cpu mode),
 * an API request is answered at once with a 503, Retry-After and the APIs' JSON error, instead of waiting
 * behind the work that lags it.
 */
export const loadSheddingPlugin = fp<LoadSheddingOptions>(
  async (app: FastifyInstance, { maxEventLoopDelayMs, sampleIntervalMs = 1000 }) => {
    if (maxEventLoopDelayMs === 0) return;
    await app.register(underPressure, {
      maxEventLoopDelay: maxEventLoopDelayMs,
      sampleInterval: sampleIntervalMs,
      pressureHandler: (request, _reply, _type, value) =>
        exempt(request)
          ? undefined
          : Promise.reject(
              serviceUnavailable(
                `overloaded: the event loop lags ${lag(Number(value))} (limit ${maxEventLoopDelayMs} ms)`,
              ),
            ),
    });
  },
  { name: 'woody-load-shedding', dependencies: ['scale-lab-service'] },
);
