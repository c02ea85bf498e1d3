import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { wantsJson } from './negotiation.js';
import { PrintableName } from './schemas.js';

export const miscRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/ping',
    { schema: { summary: 'Liveness of the API, as the lab had it' } },
    async (request, reply) => (wantsJson(request) ? { ping: 'pong' } : reply.type('text/plain').send('ping')),
  );

  app.get('/api/misc/time', { schema: { summary: 'Server time' } }, async (request, reply) => {
    const time = new Date().toISOString();
    return wantsJson(request) ? { time } : reply.type('text/plain').send(time);
  });

  app.get(
    '/api/misc/heavy',
    {
      schema: {
        summary: 'A deliberately slow computation (sleep or cpu mode), one at a time per replica by default',
        querystring: Type.Object({ name: PrintableName }),
      },
    },
    async (request, reply) => {
      const heavy = await app.heavyGate.compute(request.query.name);
      return wantsJson(request)
        ? heavy
        : reply.type('text/plain').send(`Hello ${heavy.name}, your heavy result is ${heavy.result}`);
    },
  );
};
