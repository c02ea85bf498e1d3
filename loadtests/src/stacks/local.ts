import { freePort } from '@scale-lab/local-services';
import { startLocalStack } from '@scale-lab/local-stack';
import { localVersions } from '../fingerprint.js';
import { fileOriginCounter } from '../origin-log.js';
import type { BenchStack, BenchStackOptions } from './types.js';

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
    setCdnBaseUrl: (url) => stack.setCdnBaseUrl(url),
    countOrigin: fileOriginCounter(stack.originLog),
    versions: localVersions,
    stop: () => stack.stop(),
  };
}
