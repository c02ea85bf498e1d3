import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { apiValidator, ErrorSchema } from '@scale-lab/service';
import { Type } from 'typebox';
import type { StackControl } from './stack-control.js';

const Service = Type.Union([Type.Literal('woody-api'), Type.Literal('movie-api')]);
const Dependency = Type.Union([Type.Literal('redis'), Type.Literal('mariadb')]);
const Assets = Type.Union([Type.Literal('cdn'), Type.Literal('origin')]);
const ReplicaSchema = Type.Object({
  service: Service,
  instanceId: Type.String(),
  url: Type.String(),
  pid: Type.Integer(),
});

export interface ControlRoutesOptions {
  control: StackControl;
}

/**
 * The control API of a running local stack, for `./scale-lab ctl` and the lab grader: what the labs do to
 * a Swarm stack (scale a service, kill a task, freeze a dependency, move assets to the cdn), on processes.
 */
export const controlRoutes: FastifyPluginAsyncTypebox<ControlRoutesOptions> = async (app, { control }) => {
  app.setValidatorCompiler(apiValidator());

  app.get('/health', { schema: { response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/replicas',
    {
      schema: {
        summary: 'Every API replica, with the process running it now',
        response: { 200: Type.Object({ replicas: Type.Array(ReplicaSchema) }) },
      },
    },
    async () => ({ replicas: control.replicas() }),
  );

  app.post(
    '/scale',
    {
      schema: {
        summary: 'Scales a service; answers once every replica is ready and the proxy routes to all',
        body: Type.Object(
          { service: Service, replicas: Type.Integer({ minimum: 1, maximum: 16 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ service: Service, replicas: Type.Array(ReplicaSchema), seconds: Type.Number() }),
        },
      },
    },
    async (request) => control.scale(request.body.service, request.body.replicas),
  );

  app.post(
    '/kill',
    {
      schema: {
        summary: "SIGKILLs a replica's process; its supervisor restarts it, as Swarm's restart policy would",
        body: Type.Object(
          { instance: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ instance: Type.String(), pid: Type.Integer() }),
          404: ErrorSchema,
          409: ErrorSchema,
        },
      },
    },
    async (request) => control.kill(request.body.instance),
  );

  app.post(
    '/freeze',
    {
      schema: {
        summary: 'SIGSTOPs Redis or MariaDB, SIGCONTs it after `seconds`; answers after the thaw',
        body: Type.Object(
          { dependency: Dependency, seconds: Type.Integer({ minimum: 1, maximum: 60 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ dependency: Dependency, seconds: Type.Integer() }), 409: ErrorSchema },
      },
    },
    async (request) => control.freeze(request.body.dependency, request.body.seconds),
  );

  app.post(
    '/assets',
    {
      schema: {
        summary: "Serves the page's heavy assets from the cdn tier or from the site (origin)",
        description:
          "baseUrl is what the page's asset URLs start with: the cdn's URL, or '' (the site itself)",
        body: Type.Object({ assets: Assets }, { additionalProperties: false }),
        response: { 200: Type.Object({ assets: Assets, baseUrl: Type.String() }), 409: ErrorSchema },
      },
    },
    async (request) => control.assets(request.body.assets),
  );
};
