import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

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

// Buckets from 1 ms to 30 s: the heavy route sleeps seconds, cached hits take a millisecond.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Prometheus /metrics with request count and latency by route template and status. One Registry per app
 * (not prom-client's global) so several apps can live in one process, as they do in tests.
 */
export const metricsPlugin = fp<MetricsOptions>(
  async (app: FastifyInstance, options) => {
    const registry = new Registry();
    if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
    if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry });

    const labelNames = ['method', 'route', 'status_code'] as const;
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template and status',
      labelNames,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency, by route template and status',
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });

    app.decorate('metrics', registry);
    app.addHook('onResponse', async (request, reply) => {
      // Unmatched URLs share one label so a scanner cannot blow up the series count.
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
    });

    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'scale-lab-metrics' },
);
