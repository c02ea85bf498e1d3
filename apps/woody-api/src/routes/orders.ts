import { apiValidator, ErrorSchema, notFound } from '@scale-lab/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Order } from '../plugins/orders.js';
import { wantsJson } from './negotiation.js';
import { Id, IdParams, OrderSchema, PrintableName } from './schemas.js';
import { limitedWrite } from '../plugins/write-rate-limit.js';

const describe = (order: Order) =>
  `Order ${order.id} (${order.product}): ${order.status}${order.reason ? ` (${order.reason})` : ''}`;

export const orderRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.setValidatorCompiler(apiValidator());
  const { orderService } = app;

  app.post(
    '/api/orders',
    {
      config: limitedWrite,
      schema: {
        summary: 'Place an order: stored pending at once (202), validated in the background',
        body: Type.Object({ product: PrintableName }, { additionalProperties: false }),
        response: { 202: OrderSchema, 400: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request, reply) => {
      const order = await orderService.place(request.body.product);
      return reply.code(202).header('location', `/api/orders/${order.id}`).send(order);
    },
  );

  app.get(
    '/api/orders/do',
    {
      exposeHeadRoute: false, // a HEAD would place an order too
      config: limitedWrite,
      schema: {
        summary: 'Legacy: place an order with a GET',
        querystring: Type.Object({ order: PrintableName }),
      },
    },
    async (request, reply) => {
      const order = await orderService.place(request.query.order);
      reply.code(202);
      return wantsJson(request) ? order : reply.type('text/plain').send(`${describe(order)}, id ${order.id}`);
    },
  );

  app.get(
    '/api/orders/:id',
    {
      schema: { summary: 'Order status', params: IdParams, response: { 200: OrderSchema, 404: ErrorSchema } },
    },
    async (request) => {
      const order = await orderService.find(request.params.id);
      if (!order) throw notFound(`order ${request.params.id} does not exist`);
      return order;
    },
  );

  app.get(
    '/api/orders',
    {
      schema: {
        summary: 'Legacy: order status by ?order_id= (also with a trailing slash)',
        querystring: Type.Object({ order_id: Id }),
      },
    },
    async (request, reply) => {
      const order = await orderService.find(request.query.order_id);
      if (!order) throw notFound(`order ${request.query.order_id} does not exist`);
      return wantsJson(request) ? order : reply.type('text/plain').send(describe(order));
    },
  );
};
