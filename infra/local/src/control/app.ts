import type { AddressInfo } from 'node:net';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { LocalStack } from '../stack.js';
import { controlRoutes } from './routes.js';
import { StackControl } from './stack-control.js';

/** The control API's app for one running stack (see routes.ts); listen with startControlServer. */
export async function buildControlApp(stack: LocalStack) {
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
  const control = new StackControl(stack);
  // Before the server waits for in-flight requests: a freeze of up to 60 s would hold the close that long.
  app.addHook('preClose', async () => control.close());
  await app.register(controlRoutes, { control });
  return app;
}

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the control API on `host` (loopback only by default: it can kill processes) and `port`. */
export async function startControlServer(
  stack: LocalStack,
  { port, host = '127.0.0.1' }: { port: number; host?: string },
): Promise<ControlServer> {
  const app = await buildControlApp(stack);
  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close();
    throw error;
  }
  // Port 0 asks for any free port: the URL names the one it got.
  const { port: bound } = app.server.address() as AddressInfo;
  return { url: `http://${host}:${bound}`, close: () => app.close() };
}
