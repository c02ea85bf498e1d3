import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

interface RouteHelp {
  method: string;
  path: string;
  description: string;
}

/**
 * GET /help lists every route with its summary, collected as routes are registered, so it cannot drift
 * from what the service really serves. Register before the routes it describes.
 */
export const helpPlugin = fp(
  async (app: FastifyInstance) => {
    const routes: RouteHelp[] = [];
    app.addHook('onRoute', (route) => {
      const methods = ([] as string[]).concat(route.method).filter((method) => method !== 'HEAD');
      const summary = (route.schema as { summary?: string } | undefined)?.summary;
      if (!summary) return; // health, metrics and the like are operational, not the tutorial's API
      for (const method of methods) routes.push({ method, path: route.url, description: summary });
    });
    app.get('/help', { schema: { summary: 'This list' } }, async () => routes);
  },
  { name: 'movie-help' },
);
