import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

export interface MetricsOptions {
  /** Extra labels on every series, e.g. { service: 'woody-api', instance: 'woody-1' }. */
  defaultLabels?: Record<string, string>;
  collectDefaults?: boolean;
}

/**
 * Prometheus /metrics with request count and latency by route template and status, next to whatever is
 * registered in `app.metrics`. One Registry per app (not prom-client's global) so several apps can live in
 * one process, as they do in tests.
 */
export const metricsPlugin = fp<MetricsOptions>(
  async (app: FastifyInstance, options) => {
    const registry = new Registry();
    if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
    if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry });
    const requests = new RequestMetrics(options.defaultLabels);

    app.decorate('metrics', registry);
    // A callback hook rather than an async one: no promise per request.
    app.addHook('onResponse', (request, reply, done) => {
      // Unmatched URLs share one label so a scanner cannot blow up the series count.
      const route = request.routeOptions.url ?? 'unmatched';
      requests.record(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });

    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return `${await registry.metrics()}\n${requests.render()}`;
    });
  },
  { name: 'scale-lab-metrics' },
);
