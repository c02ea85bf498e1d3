/// <reference types="@fastify/swagger" preserve="true" />
// Route schemas in the apps use swagger's `summary`; this keeps its type augmentation in the emitted .d.ts.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface OpenApiOptions {
  title: string;
  description: string;
  version: string;
}

/**
 * An OpenAPI 3 document generated from the route schemas, served as JSON at /openapi.json (no UI: a UI
 * would load assets from a CDN, which labs run offline cannot reach). Register before the routes.
 */
export const openApiPlugin = fp<OpenApiOptions>(
  async (app: FastifyInstance, options) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: options.title, description: options.description, version: options.version },
      },
      hideUntagged: false,
    });
    app.addHook('onReady', async () => {
      app.swagger(); // build once at start-up so a schema error fails the start, not the first request
    });
    app.get('/openapi.json', { logLevel: 'warn', schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'scale-lab-openapi' },
);
