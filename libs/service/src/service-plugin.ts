import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { healthPlugin } from './health.js';
import { metricsPlugin } from './metrics.js';

export interface ServicePluginOptions {
  service: string;
  instanceId: string;
  collectDefaultMetrics?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    instanceId: string;
  }
}

/** What every Scale Lab API shares: X-Instance on every response, health endpoints and /metrics. */
export const servicePlugin = fp<ServicePluginOptions>(
  async (app: FastifyInstance, options) => {
    app.decorate('instanceId', options.instanceId);
    // onRequest rather than onSend so that 404s, validation errors and 503s carry it too.
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('X-Instance', options.instanceId);
    });
    await app.register(healthPlugin);
    await app.register(metricsPlugin, {
      defaultLabels: { service: options.service, instance: options.instanceId },
      collectDefaults: options.collectDefaultMetrics ?? true,
    });
  },
  { name: 'scale-lab-service' },
);
