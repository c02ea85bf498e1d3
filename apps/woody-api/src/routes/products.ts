import { setCacheHeaders } from '@scale-lab/cache';
import { apiValidator, ErrorSchema, notFound } from '@scale-lab/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { limitedWhen, limitedWrite } from '../plugins/write-rate-limit.js';
import { wantsJson } from './negotiation.js';
import { IdParams, PrintableName, ProductSchema } from './schemas.js';

/** Product ids are INT UNSIGNED: no page lies past 2^32 − 1, and the OFFSET stays an exact integer. */
const MAX_PAGE = 2 ** 32 - 1;

export const productRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.setValidatorCompiler(apiValidator());
  const { productRepository } = app;

  app.post(
    '/api/products',
    {
      config: limitedWrite,
      schema: {
        summary: 'Add a product',
        body: Type.Object({ name: PrintableName }, { additionalProperties: false }),
        response: { 201: ProductSchema, 400: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request, reply) => {
      const product = await productRepository.add(request.body.name);
      return reply.code(201).header('location', `/api/products/${product.id}`).send(product);
    },
  );

  // One path, two meanings, as in the lab: with ?product= it adds (a GET that writes, kept for the
  // lab's page and scripts), without it lists (paged).
  app.get(
    '/api/products',
    {
      // Fastify would answer HEAD with this handler too, and a HEAD (a link checker's, a monitor's) would add.
      exposeHeadRoute: false,
      config: limitedWhen((request) => (request.query as { product?: string }).product !== undefined),
      schema: {
        summary: 'List products (paged); legacy: ?product=NAME adds one',
        querystring: Type.Object({
          product: Type.Optional(PrintableName),
          page: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1 }),
          pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
        }),
      },
    },
    async (request, reply) => {
      const { product, page, pageSize } = request.query;
      if (product === undefined) return productRepository.list(page, pageSize);
      const added = await productRepository.add(product);
      return wantsJson(request)
        ? reply.code(201).send(added)
        : reply.type('text/plain').send(`Product ${added.name} added (id ${added.id})`);
    },
  );

  app.get(
    '/api/products/last',
    { schema: { summary: 'Product count and the last product, through a deliberately slow query' } },
    async (request, reply) => {
      const outcome = await app.productSummary.fetch();
      setCacheHeaders(reply, outcome);
      const summary = outcome.value;
      if (wantsJson(request)) return summary;
      const last = summary.last ? summary.last.name : 'none';
      return reply.type('text/plain').send(`${summary.count} products, the last one is ${last}`);
    },
  );

  app.get(
    '/api/products/:id',
    {
      schema: {
        summary: 'One product',
        params: IdParams,
        response: { 200: ProductSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const product = await productRepository.find(request.params.id);
      if (!product) throw notFound(`product ${request.params.id} does not exist`);
      return product;
    },
  );
};
