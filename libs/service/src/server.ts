import closeWithGrace from 'close-with-grace';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

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
    return503OnClosing: true,
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
export async function listenWithGracefulShutdown(app: FastifyInstance, options: ListenOptions): Promise<void> {
  closeWithGrace({ delay: options.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'fatal error, shutting down');
    else app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    await app.close();
    app.log.info('shut down cleanly');
  });
  await app.listen({ host: options.host, port: options.port });
}
