import type { FastifyError, FastifyInstance } from 'fastify';
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
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    // onSend runs for every answer Fastify sends: routes, 404s, validation errors and 503s all carry
    // X-Instance. One callback hook rather than async ones: no promise per request, and the answer is
    // written at once instead of a microtask later.
    app.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('X-Instance', options.instanceId);
      // While closing, answers carry Connection: close, so keep-alive clients let go of their sockets and
      // the server can finish closing as soon as in-flight requests are done.
      if (closing) reply.header('connection', 'close');
      done(null, payload);
    });
    // A 503 is an expected state (database away, shutting down), not a bug: warn without a stack trace.
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const statusCode = error.statusCode ?? 500;
      if (statusCode === 503) {
        request.log.warn(
          { err: error.message, cause: (error.cause as Error | undefined)?.message },
          'service unavailable',
        );
        return reply.code(503).header('retry-after', '1').send({
          statusCode,
          code: error.code,
          error: 'Service Unavailable',
          message: error.message,
        });
      }
      return reply.send(error);
    });
    await app.register(healthPlugin);
    await app.register(metricsPlugin, {
      defaultLabels: { service: options.service, instance: options.instanceId },
      collectDefaults: options.collectDefaultMetrics ?? true,
    });
  },
  { name: 'scale-lab-service' },
);
