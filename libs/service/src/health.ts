import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export type ReadinessCheck = () => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Registers a check that must pass for /health/ready to answer 200. */
    addReadinessCheck(name: string, check: ReadinessCheck): void;
  }
}

export interface HealthOptions {
  /** How long one readiness check may take before it counts as failed. */
  checkTimeoutMs?: number;
}

/**
 * /health/live answers while the process runs; /health/ready only while every dependency check passes,
 * so a load balancer or orchestrator sends traffic only to replicas that can serve it. While shutting
 * down, ready turns 503 at once so the proxy drains this replica.
 */
export const healthPlugin = fp<HealthOptions>(
  async (app: FastifyInstance, options) => {
    const checks = new Map<string, ReadinessCheck>();
    const timeoutMs = options.checkTimeoutMs ?? 1000;
    let closing = false;

    app.decorate('addReadinessCheck', (name: string, check: ReadinessCheck) => {
      checks.set(name, check);
    });
    app.addHook('preClose', async () => {
      closing = true;
    });

    app.get('/health/live', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

    app.get('/health/ready', { logLevel: 'warn' }, async (_request, reply) => {
      if (closing) return reply.code(503).send({ status: 'closing', checks: {} });
      const results = await Promise.all(
        [...checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
      );
      const ready = results.every(([, result]) => result === 'ok');
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) });
    });
  },
  { name: 'scale-lab-health' },
);

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
