import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Writes (adding a product, placing an order) are limited per client address, so a script in a loop
 * cannot fill the database; reads are not limited. Behind the proxy the address is the client's
 * (trustProxy: X-Forwarded-For). Each write route counts on its own, per replica, in memory: with N
 * replicas a client may write up to N times the limit, enough to stop a runaway loop without a shared store.
 */
export const writeRateLimitPlugin = fp<{ perMinute: number }>(
  async (app, { perMinute }) => {
    if (perMinute === 0) return; // WRITE_RATE_LIMIT=0: off (the bench variants)
    await app.register(rateLimit, { global: false, max: perMinute, timeWindow: 60_000 });
  },
  { name: 'woody-write-rate-limit' },
);

/** Route config of a route that always writes. */
export const limitedWrite = { rateLimit: {} };

/** Route config of a route that writes only when `writes(request)` says so (the lab's writing GETs). */
export function limitedWhen(writes: (request: FastifyRequest) => boolean) {
  return { rateLimit: { allowList: (request: FastifyRequest) => !writes(request) } };
}
