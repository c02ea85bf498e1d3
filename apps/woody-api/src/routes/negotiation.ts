import type { FastifyRequest } from 'fastify';

/**
 * The lab's page inserts the legacy GET answers as they come, so those answer short plain text; a client
 * that asks for JSON (Accept: application/json) gets the same data as JSON.
 */
export function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}
