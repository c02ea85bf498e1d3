import { hostname } from 'node:os';

/**
 * A stable id for this replica, sent as X-Instance. Docker gives every container its own hostname, so the
 * hostname is stable per replica; local mode sets INSTANCE_ID because all processes share one host.
 */
export function resolveInstanceId(configured: string | undefined): string {
  return configured && configured.length > 0 ? configured : `${hostname()}-${process.pid}`;
}
