import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  assertPortFree,
  startMariaDb,
  startNginx,
  startRedis,
  type LocalMariaDb,
  type LocalNginx,
  type LocalRedis,
} from '@scale-lab/local-services';
import { renderProxyConfig } from './nginx-config.js';
import { Replica, type ReplicaInfo, type ServiceName } from './replica.js';

export type { ReplicaInfo, ServiceName } from './replica.js';

export interface LocalStackOptions {
  woodyReplicas?: number;
  movieReplicas?: number;
  /** nginx: the front at / and woody-api at /api/ (default 8080). */
  sitePort?: number;
  /** nginx: the movie-api load balancer, the tutorial's port (default 8000). */
  moviePort?: number;
  /** Extra environment for every woody-api replica, e.g. { HEAVY_MODE: 'cpu', CACHE_ENABLED: 'false' }. */
  woodyEnv?: Record<string, string>;
  movieEnv?: Record<string, string>;
  /** limit_rate on static files through the proxy, as in the lab (default '300k'). */
  staticRateLimit?: string;
  /** Base URL of a CDN tier for heavy assets; '' serves them from the site (default). */
  cdnBaseUrl?: string;
  /** Also start the cdn tier (an nginx cache in front of the site) on this port. */
  cdnPort?: number;
  log?: (line: string) => void;
}

export interface LocalStack {
  siteUrl: string;
  movieUrl: string;
  /** The cdn tier's URL, when cdnPort was given. */
  cdnUrl?: string;
  mysqlUrl: string;
  redisUrl: string;
  /** Where the stack keeps its data and logs; removed by stop(). */
  dir: string;
  /** One `<instance>.log` per API replica (stdout and stderr), in dir. */
  logDir: string;
  accessLog: string;
  replicas(service: ServiceName): ReplicaInfo[];
  /** Points the page's heavy assets at a CDN base URL ('' for the site itself) and reloads nginx. */
  setCdnBaseUrl(url: string): Promise<void>;
  /** Starts or stops replicas; with `env`, replaces them all by replicas with that environment. */
  scale(service: ServiceName, count: number, env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export class StackError extends Error {
  override name = 'StackError';
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRIES: Record<ServiceName, string> = {
  'woody-api': join(repoRoot, 'apps/woody-api/dist/main.js'),
  'movie-api': join(repoRoot, 'apps/movie-api/dist/main.js'),
};
const FRONT_ROOT = join(repoRoot, 'apps/front/dist');
const INSTANCE_PREFIX: Record<ServiceName, string> = { 'woody-api': 'woody', 'movie-api': 'movie' };
// nginx applies a reload asynchronously; old workers may route new requests until it has.
const RELOAD_SETTLE_MS = 1000;

function assertBuilt(): void {
  for (const path of [...Object.values(ENTRIES), join(FRONT_ROOT, 'index.html')]) {
    if (!existsSync(path)) {
      throw new StackError(
        `${path} is missing: build first with \`npx nx run-many -t build\` (./scale-lab does it for you)`,
      );
    }
  }
}

function checkedCdnBaseUrl(url: string): string {
  if (url && !/^https?:\/\/[^\s'"]+[^/]$/.test(url)) {
    throw new StackError(`cdnBaseUrl must be an http(s) URL without a trailing slash (got ${url})`);
  }
  return url;
}

function assertReplicaCount(service: ServiceName, count: number): void {
  if (!Number.isInteger(count) || count < 0 || count > 64) {
    throw new StackError(`${service}: replica count must be an integer from 0 to 64 (got ${count})`);
  }
}

/**
 * The whole Scale Lab stack as processes on 127.0.0.1: MariaDB, Redis, the API replicas and nginx in front.
 * No Docker needed. Everything lives in one temporary directory that stop() removes.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const sitePort = options.sitePort ?? 8080;
  const moviePort = options.moviePort ?? 8000;
  let cdnBaseUrl = checkedCdnBaseUrl(options.cdnBaseUrl ?? '');
  const counts = { 'woody-api': options.woodyReplicas ?? 3, 'movie-api': options.movieReplicas ?? 2 };
  for (const service of ['woody-api', 'movie-api'] as const) assertReplicaCount(service, counts[service]);
  assertBuilt();
  await assertPortFree(sitePort, 'the site: front and woody-api');
  await assertPortFree(moviePort, 'the movie-api load balancer');
  if (options.cdnPort !== undefined) await assertPortFree(options.cdnPort, 'the cdn tier');

  const dir = await mkdtemp(join(tmpdir(), 'scale-lab-stack-'));
  const logDir = join(dir, 'logs');
  await mkdir(logDir);
  let mariadb: LocalMariaDb | undefined;
  let redis: LocalRedis | undefined;
  let nginx: LocalNginx | undefined;
  const replicas: Record<ServiceName, Replica[]> = { 'woody-api': [], 'movie-api': [] };
  const serviceEnv: Record<ServiceName, Record<string, string>> = {
    'woody-api': options.woodyEnv ?? {},
    'movie-api': options.movieEnv ?? {},
  };
  const nextIndex: Record<ServiceName, number> = { 'woody-api': 1, 'movie-api': 1 };

  const stopEverything = async () => {
    await Promise.allSettled(
      [...replicas['woody-api'], ...replicas['movie-api']].map((replica) => replica.stop()),
    );
    await Promise.allSettled([nginx?.stop(), redis?.stop(), mariadb?.stop()]);
    await rm(dir, { recursive: true, force: true });
  };

  const proxyConfig = () =>
    renderProxyConfig({
      sitePort,
      moviePort,
      frontRoot: FRONT_ROOT,
      woody: { name: 'woody_api', servers: replicas['woody-api'].map((replica) => replica.address) },
      movie: { name: 'movie_api', servers: replicas['movie-api'].map((replica) => replica.address) },
      staticRateLimit: options.staticRateLimit ?? '300k',
      cdnBaseUrl,
      cdn:
        options.cdnPort === undefined
          ? undefined
          : { port: options.cdnPort, cacheDir: join(dir, 'cdn-cache') },
    });

  let mysqlUrl = '';
  const startReplicas = async (service: ServiceName, count: number, env: Record<string, string>) =>
    Promise.all(
      Array.from({ length: count }, () => {
        const instanceId = `${INSTANCE_PREFIX[service]}-${nextIndex[service]++}`;
        log(`starting ${instanceId}`);
        return Replica.start({
          service,
          instanceId,
          entry: ENTRIES[service],
          logDir,
          env: { MYSQL_URL: mysqlUrl, REDIS_URL: redis!.url, LOG_LEVEL: 'warn', ...env },
        });
      }),
    );

  try {
    log('starting MariaDB and Redis');
    [mariadb, redis] = await Promise.all([startMariaDb({ baseDir: dir }), startRedis({ baseDir: dir })]);
    mysqlUrl = await mariadb.createDatabase('scale_lab');
    // One replica of each first, so the schema is migrated once before the others start together.
    for (const service of ['woody-api', 'movie-api'] as const) {
      if (counts[service] === 0) continue;
      replicas[service].push(...(await startReplicas(service, 1, serviceEnv[service])));
      replicas[service].push(...(await startReplicas(service, counts[service] - 1, serviceEnv[service])));
    }
    log('starting nginx');
    const ports = [sitePort, moviePort, ...(options.cdnPort === undefined ? [] : [options.cdnPort])];
    nginx = await startNginx({ http: proxyConfig(), ports, baseDir: dir });
  } catch (error) {
    await stopEverything();
    throw error;
  }

  let scaling = Promise.resolve();
  const scale = async (service: ServiceName, count: number, env?: Record<string, string>) => {
    assertReplicaCount(service, count);
    const current = replicas[service];
    let retiring: Replica[];
    if (env) {
      serviceEnv[service] = env;
      const fresh = await startReplicas(service, count, env);
      retiring = current.splice(0, current.length, ...fresh);
    } else if (count > current.length) {
      current.push(...(await startReplicas(service, count - current.length, serviceEnv[service])));
      retiring = [];
    } else {
      retiring = current.splice(count);
    }
    // nginx first stops sending requests to the retiring replicas, then they finish what they have.
    await nginx!.reload(proxyConfig());
    await sleep(RELOAD_SETTLE_MS);
    for (const replica of retiring) log(`stopping ${replica.info.instanceId}`);
    await Promise.all(retiring.map((replica) => replica.stop()));
    log(
      `${service}: ${current.length} replica(s): ${current.map((replica) => replica.info.instanceId).join(', ')}`,
    );
  };

  return {
    siteUrl: `http://127.0.0.1:${sitePort}`,
    movieUrl: `http://127.0.0.1:${moviePort}`,
    cdnUrl: options.cdnPort === undefined ? undefined : `http://127.0.0.1:${options.cdnPort}`,
    mysqlUrl,
    redisUrl: redis.url,
    dir,
    logDir,
    accessLog: nginx.accessLog,
    replicas: (service) => replicas[service].map((replica) => replica.describe()),
    setCdnBaseUrl: async (url) => {
      cdnBaseUrl = checkedCdnBaseUrl(url);
      await nginx!.reload(proxyConfig());
      await sleep(RELOAD_SETTLE_MS);
    },
    // One scaling operation at a time: two overlapping ones would each reload nginx with half the truth.
    scale: (service, count, env) => {
      const next = scaling.then(() => scale(service, count, env));
      scaling = next.catch(() => undefined);
      return next;
    },
    stop: async () => {
      await scaling;
      log('stopping the stack');
      await stopEverything();
    },
  };
}
