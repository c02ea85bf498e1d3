import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@scale-lab/local-services';
import { startLocalStack, type LocalStack, type ReplicaInfo } from '@scale-lab/local-stack';
import type { Fault } from '../../scenarios/index.js';
import { localVersions } from '../fingerprint.js';
import { fileOriginCounter } from '../origin-log.js';
import type { BenchStack, BenchStackOptions } from './types.js';

/** How long a replica restarted by the stack's supervisor may take to answer /health/ready again. */
const BACK_TIMEOUT_MS = 60_000;

async function answersReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The replica with the pid of its running process. Between a crash and its restart the pid is 0, and
 * process.kill(0) would signal this whole process group: the runner itself.
 */
async function running(stack: LocalStack, instanceId: string): Promise<ReplicaInfo> {
  const deadline = Date.now() + BACK_TIMEOUT_MS;
  for (;;) {
    const replica = stack.replicas('woody-api').find((r) => r.instanceId === instanceId);
    if (!replica) throw new Error(`${instanceId} is no longer listed`);
    if (replica.pid > 0) return replica;
    if (Date.now() > deadline)
      throw new Error(`${instanceId} has no running process after ${BACK_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

/** Waits until the stack's supervisor has replaced this replica's process and the new one is ready. */
async function restarted(stack: LocalStack, before: ReplicaInfo): Promise<void> {
  const deadline = Date.now() + BACK_TIMEOUT_MS;
  for (;;) {
    const now = stack.replicas('woody-api').find((r) => r.instanceId === before.instanceId);
    if (!now) throw new Error(`${before.instanceId} is no longer listed`);
    if (now.pid !== before.pid && now.pid !== 0 && (await answersReady(now.url))) return;
    if (Date.now() > deadline)
      throw new Error(`${before.instanceId} did not come back within ${BACK_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

/**
 * Waits until the proxy sends requests to this replica again: nginx keeps a replica it found refusing out of
 * rotation for its fail_timeout (5 s) after it is back, and stopping the next one before would leave it
 * with fewer replicas than the fault means (or none).
 */
async function servedThroughProxy(siteUrl: string, instanceId: string): Promise<void> {
  const deadline = Date.now() + BACK_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${siteUrl}/api/ping`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.headers.get('x-instance') === instanceId) return;
    } catch {
      // the proxy is busy or restarting a connection: ask again
    }
    await sleep(50);
  }
  throw new Error(`the proxy did not send to ${instanceId} again within ${BACK_TIMEOUT_MS / 1000} s`);
}

/**
 * Every replica stopped (SIGTERM: it finishes its requests) and started again, one at a time, as `docker
 * restart` does per container: the stack's supervisor starts each again, on the same port, like Docker's
 * restart policy. The next one is stopped once the proxy sends requests to the previous one again.
 */
async function restartOneByOne(stack: LocalStack): Promise<void> {
  for (const listed of stack.replicas('woody-api')) {
    const replica = await running(stack, listed.instanceId);
    process.kill(replica.pid, 'SIGTERM');
    await restarted(stack, replica);
    await servedThroughProxy(stack.siteUrl, replica.instanceId);
  }
}

async function injectFault(stack: LocalStack, fault: Fault): Promise<void> {
  switch (fault.kind) {
    case 'kill-replica': {
      // A crash: the supervisor restarts it after its backoff; meanwhile nginx finds it refusing.
      const [listed] = stack.replicas('woody-api');
      if (listed) process.kill((await running(stack, listed.instanceId)).pid, 'SIGKILL');
      return;
    }
    case 'freeze-redis':
    case 'freeze-database': {
      const dependency = fault.kind === 'freeze-redis' ? 'redis' : 'mariadb';
      await stack.freeze(dependency);
      try {
        await sleep(fault.holdSeconds * 1000);
      } finally {
        stack.thaw(dependency);
      }
      return;
    }
    case 'scale-in':
      // No env: the same replicas stay, the newest is taken out of the proxy and then stopped.
      return stack.scale('woody-api', stack.replicas('woody-api').length - 1);
    case 'restart-all':
      return restartOneByOne(stack);
  }
}

/** The stack as plain processes on this machine (infra/local): no Docker needed. */
export async function startLocalBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const sitePort = await freePort();
  const stack = await startLocalStack({
    woodyReplicas: 1,
    movieReplicas: 1,
    sitePort,
    moviePort: await freePort(),
    cdnPort: await freePort(),
    woodyEnv: options.woodyEnv,
    staticRateLimit: options.staticRateLimit,
    log: options.log,
  });
  return {
    mode: 'local',
    siteUrl: stack.siteUrl,
    movieUrl: stack.movieUrl,
    cdnUrl: stack.cdnUrl!,
    redisUrl: stack.redisUrl,
    scale: (service, count, env) => stack.scale(service, count, env),
    replicas: (service) => stack.replicas(service),
    injectFault: (fault) => injectFault(stack, fault),
    setCdnBaseUrl: (url) => stack.setCdnBaseUrl(url),
    countOrigin: fileOriginCounter(stack.originLog),
    versions: localVersions,
    stop: () => stack.stop(),
  };
}
