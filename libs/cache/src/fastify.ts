import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { createCache, type Cache, type CacheOptions, type CacheOutcome } from './cache.js';

const X_CACHE = { hit: 'HIT', miss: 'MISS', stale: 'STALE', bypass: 'BYPASS' } as const;

/**
 * Tells the client what the cache did: `X-Cache` (what students look for), RFC 9211 `Cache-Status`, and
 * `Server-Timing` so browser devtools show the producer's cost. Keys are never sent (they hold user input).
 */
export function setCacheHeaders(
  reply: FastifyReply,
  outcome: CacheOutcome<unknown>,
  cacheName = 'scale-lab',
): void {
  reply.header('X-Cache', X_CACHE[outcome.status]);
  const status =
    outcome.status === 'hit'
      ? `${cacheName}; hit`
      : outcome.status === 'stale'
        ? `${cacheName}; fwd=stale`
        : outcome.status === 'bypass'
          ? `${cacheName}; fwd=bypass`
          : `${cacheName}; fwd=uri-miss${outcome.collapsed ? '; collapsed' : ''}`;
  reply.header('Cache-Status', status);
  if (outcome.producerMs !== undefined)
    reply.header('Server-Timing', `producer;dur=${outcome.producerMs.toFixed(1)}`);
}

declare module 'fastify' {
  interface FastifyInstance {
    cache: Cache;
  }
}

/** Creates the app's Cache (logging through the app's logger), decorates the app with it, closes it with the app. */
export const cachePlugin = fp<CacheOptions>(
  async (app: FastifyInstance, options) => {
    const cache = createCache({ logger: app.log, ...options });
    app.decorate('cache', cache);
    app.log.info(
      { enabled: cache.enabled, namespace: cache.namespace },
      cache.enabled ? 'cache on' : 'cache off: every call bypasses',
    );
    app.addHook('onClose', async () => cache.close());
  },
  { name: 'scale-lab-cache' },
);
