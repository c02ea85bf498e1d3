import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { setCacheHeaders } from '@scale-lab/cache';
import { wantsJson } from './negotiation.js';
import { PrintableName } from './schemas.js';
import { apiValidator } from '@scale-lab/service';

export const miscRoutes: FastifyPluginAsyncTypebox<{ heavyTtlMs: number }> = async (app, { heavyTtlMs }) => {
  app.setValidatorCompiler(apiValidator());
  // Keyed on the name: the lab's decorator keyed on the view's (absent) arguments, so every name shared one entry.
  const heavy = app.cache.wrap((name: string) => app.heavyGate.compute(name), {
    name: 'heavy',
    ttl: heavyTtlMs,
  });

  // Plain functions, not async ones: they wait for nothing, and an async handler costs a promise and its
  // resolution on every request (these two are the API's cheapest answers, and its benchmark).
  app.get('/api/ping', { schema: { summary: 'Liveness of the API, as the lab had it' } }, (request, reply) =>
    wantsJson(request) ? { ping: 'pong' } : reply.type('text/plain').send('ping'),
  );

  app.get('/api/misc/time', { schema: { summary: 'Server time' } }, (request, reply) => {
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
      const outcome = await heavy.fetch(request.query.name);
      setCacheHeaders(reply, outcome);
      const result = outcome.value;
      return wantsJson(request)
        ? result
        : reply.type('text/plain').send(`Hello ${result.name}, your heavy result is ${result.result}`);
    },
  );
};
