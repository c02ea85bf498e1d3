import closeWithGrace from 'close-with-grace';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Static, TObject } from 'typebox';
import { ConfigError, loadConfig } from './config.js';

export interface ServerTuning {
  logLevel: string;
}

/**
 * Fastify options every API uses. Behind nginx with upstream keepalive, Node must keep idle sockets open
 * longer than nginx does (60 s) or nginx reuses a socket Node is closing and answers 502.
 */
export function serverOptions({ logLevel }: ServerTuning): FastifyServerOptions {
  return {
    logger: { level: logLevel },
    keepAliveTimeout: 75_000,
    requestTimeout: 120_000,
    trustProxy: true,
    forceCloseConnections: 'idle',
    // A request that reaches a closing replica on a connection it still has open is served (with
    // Connection: close), not refused with 503: the proxies pass a 503 on as an answer, they do not retry it.
    return503OnClosing: false,
  };
}

export interface ListenOptions {
  host: string;
  port: number;
  /** How long in-flight requests may take to finish after SIGTERM before the process exits anyway. */
  shutdownGraceMs: number;
}

/**
 * Listens and wires graceful shutdown: on SIGTERM/SIGINT stop accepting, let in-flight requests finish
 * (up to the grace period), run onClose hooks (pools, clients), then exit.
 */
export async function listenWithGracefulShutdown(
  app: FastifyInstance,
  options: ListenOptions,
): Promise<void> {
  closeWithGrace({ delay: options.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'fatal error, shutting down');
    else app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
    app.log.info('shut down cleanly');
  });
  await app.listen({ host: options.host, port: options.port });
}

export class StartupError extends Error {
  override name = 'StartupError';
}

interface ProcessSettings {
  HOST: string;
  PORT: number;
  SHUTDOWN_GRACE_MS: number;
}

/**
 * A service's whole process: config from the environment (a bad variable → one clear line on stderr,
 * exit 1, no stack trace), build the app, listen, shut down gracefully on SIGTERM/SIGINT.
 */
export async function runService<S extends TObject>(
  name: string,
  schema: S,
  build: (config: Static<S>) => Promise<FastifyInstance>,
): Promise<void> {
  let app: FastifyInstance;
  let settings: ProcessSettings;
  try {
    const config = loadConfig(schema);
    settings = config as unknown as ProcessSettings;
    app = await build(config);
  } catch (error) {
    const known = error instanceof ConfigError || error instanceof StartupError;
    process.stderr.write(`${name}: ${known ? error.message : String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  }
  await listenWithGracefulShutdown(app, {
    host: settings.HOST,
    port: settings.PORT,
    shutdownGraceMs: settings.SHUTDOWN_GRACE_MS,
  });
}
