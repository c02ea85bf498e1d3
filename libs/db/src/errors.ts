import { HttpError, serviceUnavailable } from '@scale-lab/service';

/**
 * The database did not answer (or no pooled connection came free) within the bound: a stalled database, not a
 * refused one. Fastify answers it as a JSON 503 with Retry-After (see the service plugin's error handler).
 */
export class DatabaseTimeoutError extends HttpError {
  constructor(
    readonly timeoutMs: number,
    readonly phase: 'acquire' | 'query',
  ) {
    super(
      503,
      phase === 'acquire'
        ? `no database connection within ${timeoutMs} ms`
        : `database did not answer within ${timeoutMs} ms`,
      'DATABASE_TIMEOUT',
    );
    this.name = 'DatabaseTimeoutError';
  }
}

// mysql2 error codes that mean "the database cannot be reached right now", as opposed to a bad query.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_LOCK_WAIT_TIMEOUT',
  'POOL_CLOSED',
  'POOL_QUEUE_TIMEOUT',
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseTimeoutError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, fatal, message } = error as { code?: string; fatal?: boolean; message?: string };
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  if (message?.startsWith('Queue limit reached') || message === 'Pool is closed.') return true;
  return fatal === true;
}

/** Runs a database call; an unreachable database becomes a 503 JSON answer instead of a 500 or a hang. */
export async function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // Already a 503 that says what happened ("database did not answer within 1000 ms").
    if (error instanceof DatabaseTimeoutError) throw error;
    if (isDatabaseUnavailable(error)) {
      throw Object.assign(serviceUnavailable('database unavailable, try again shortly'), { cause: error });
    }
    throw error;
  }
}
