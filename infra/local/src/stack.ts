import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertPortFree,
  freePort,
  startMariaDb,
  startNginxImage,
  startRedis,
  type LocalMariaDb,
  type LocalNginxImage,
  type LocalRedis,
} from '@scale-lab/local-services';
import { cdnImage, FRONT_ROOT, frontImage, proxyImage } from './nginx-images.js';
import { Replica, type ReplicaInfo, type ServiceName } from './replica.js';
import { repoFile } from './workspace.js';

export type { ReplicaInfo, ServiceName } from './replica.js';

export interface LocalStackOptions {
  woodyReplicas?: number;
  movieReplicas?: number;
  /** The proxy: the front at / and woody-api at /api/ (default 8080). */
  sitePort?: number;
  /** The proxy: the movie-api load balancer, the tutorial's port (default 8000). */
  moviePort?: number;
  /** Extra environment for every woody-api replica, e.g. { HEAVY_MODE: 'cpu', CACHE_ENABLED: 'false' }. */
  woodyEnv?: Record<string, string>;
  movieEnv?: Record<string, string>;
  /** The front's limit_rate per connection on static files, as in the lab (default '300k'; '0': none). */
  staticRateLimit?: string;
  /** Base URL of a CDN tier for heavy assets; '' serves them from the site (default). */
  cdnBaseUrl?: string;
  /** Also start the cdn tier (an nginx cache in front of the front) on this port. */
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
  /** One log per process (API replicas, front, proxy, cdn, databases' own folders), in dir. */
  logDir: string;
  /** The front's access log: every request the origin of static files served, whoever asked. */
  originLog: string;
  /** The service's replicas; a crashed one is restarted (same instanceId, new pid) and stays listed. */
  replicas(service: ServiceName): ReplicaInfo[];
  /** Points the page's heavy assets at a CDN base URL ('' for the site itself): a new front replaces the old. */
  setCdnBaseUrl(url: string): Promise<void>;
  /**
   * Starts or stops replicas (those it stops are not restarted); with `env`, replaces them all by replicas
   * with that environment.
   */
  scale(service: ServiceName, count: number, env?: Record<string, string>): Promise<void>;
  /**
   * SIGSTOP to Redis or MariaDB, for fault experiments: a dependency that hangs with its connections open
   * until thaw() (stop() thaws it too).
   */
  freeze(dependency: Dependency): Promise<void>;
  thaw(dependency: Dependency): void;
  stop(): Promise<void>;
}

export type Dependency = 'redis' | 'mariadb';

export class StackError extends Error {
  override name = 'StackError';
}

/** How each API service runs here: its build output, its replicas' names, its upstream in the proxy. */
const API_SERVICES: Record<ServiceName, { entry: string; instancePrefix: string; upstream: string }> = {
  'woody-api': { entry: 'apps/woody-api/dist/main.js', instancePrefix: 'woody', upstream: 'woody_api' },
  'movie-api': { entry: 'apps/movie-api/dist/main.js', instancePrefix: 'movie', upstream: 'movie_api' },
};

function assertBuilt(): void {
  const built = [
    ...Object.values(API_SERVICES).map((service) => repoFile(service.entry)),
    join(FRONT_ROOT, 'index.html'),
  ];
  for (const path of built) {
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

/** What every process of the stack shares: where it writes, and the databases the APIs use. */
interface StackContext {
  dir: string;
  logDir: string;
  mysqlUrl: string;
  redisUrl: string;
  log: (line: string) => void;
}

/** One API service: its replicas, the environment new ones start with, and how they start. */
class ApiService {
  readonly replicas: Replica[] = [];
  private started = 0;

  constructor(
    readonly name: ServiceName,
    public env: Record<string, string>,
    private readonly context: StackContext,
    /** A replica restarted on another port: the proxy must learn its new address. */
    private readonly onMoved: () => void,
  ) {}

  get upstream(): string {
    return API_SERVICES[this.name].upstream;
  }

  addresses(): string[] {
    return this.replicas.map((replica) => replica.address);
  }

  /**
   * Starts `count` new replicas, ready when they answer /health/ready; the caller gives them traffic. Each
   * is restarted when it crashes (see Replica), until it is stopped.
   */
  async startReplicas(count: number): Promise<Replica[]> {
    const { entry, instancePrefix } = API_SERVICES[this.name];
    const started = await Promise.allSettled(
      Array.from({ length: count }, () => {
        const instanceId = `${instancePrefix}-${++this.started}`;
        this.context.log(`starting ${instanceId}`);
        return Replica.start({
          service: this.name,
          instanceId,
          entry: repoFile(entry),
          logDir: this.context.logDir,
          log: this.context.log,
          onMoved: this.onMoved,
          env: {
            MYSQL_URL: this.context.mysqlUrl,
            REDIS_URL: this.context.redisUrl,
            LOG_LEVEL: 'warn',
            ...this.env,
          },
        });
      }),
    );
    const replicas = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) {
      // Nobody holds the ones that did start: stop them here, or they outlive the stack.
      await Promise.allSettled(replicas.map((replica) => replica.stop()));
      throw failure.reason;
    }
    return replicas;
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.replicas.map((replica) => replica.stop()));
  }
}

/** The front image's nginx on a port of its own; a new CDN base URL means a new front, as in Docker. */
class Front {
  private constructor(
    readonly nginx: LocalNginxImage,
    readonly address: string,
  ) {}

  static async start(context: StackContext, settings: { cdnBaseUrl: string; staticRateLimit: string }) {
    const port = await freePort();
    const nginx = await startNginxImage({
      ...frontImage({ port, ...settings }),
      name: `front :${port}`,
      upstreams: {},
      runDir: join(context.dir, 'nginx', `front-${port}`),
      // Every front appends to one log: the origin's traffic, whichever front served it.
      logFile: join(context.logDir, 'front.log'),
    });
    return new Front(nginx, `127.0.0.1:${port}`);
  }
}

/**
 * The whole Scale Lab stack as processes on 127.0.0.1: MariaDB, Redis, the API replicas, and the front,
 * proxy and cdn images' nginx configs run by their own entrypoint. No Docker needed. Everything lives in
 * one temporary directory that stop() removes. Replicas that crash are restarted with backoff, as Swarm's
 * restart_policy does (see Replica); those that scale() or stop() stop are not.
 */
class ProcessStack implements LocalStack {
  readonly siteUrl: string;
  readonly movieUrl: string;
  readonly cdnUrl: string | undefined;
  private readonly services: Record<ServiceName, ApiService>;
  private front: Front | undefined;
  private proxy: LocalNginxImage | undefined;
  private cdn: LocalNginxImage | undefined;
  // One change at a time: two overlapping ones would each write the proxy's lists with half the truth.
  private changing = Promise.resolve();
  private stopping = false;

  private constructor(
    private readonly options: Required<Omit<LocalStackOptions, 'cdnPort' | 'log'>> & { cdnPort?: number },
    private readonly context: StackContext,
    private readonly databases: { mariadb: LocalMariaDb; redis: LocalRedis },
  ) {
    this.siteUrl = `http://127.0.0.1:${options.sitePort}`;
    this.movieUrl = `http://127.0.0.1:${options.moviePort}`;
    this.cdnUrl = options.cdnPort === undefined ? undefined : `http://127.0.0.1:${options.cdnPort}`;
    this.services = {
      'woody-api': new ApiService('woody-api', options.woodyEnv, context, () => this.reroute()),
      'movie-api': new ApiService('movie-api', options.movieEnv, context, () => this.reroute()),
    };
  }

  static async start(options: ProcessStack['options'], log: (line: string) => void): Promise<ProcessStack> {
    const dir = await mkdtemp(join(tmpdir(), 'scale-lab-stack-'));
    const logDir = join(dir, 'logs');
    await mkdir(logDir);
    log('starting MariaDB and Redis');
    const [mariadb, redis] = await Promise.allSettled([
      startMariaDb({ baseDir: dir }),
      startRedis({ baseDir: dir }),
    ]);
    if (mariadb.status === 'rejected' || redis.status === 'rejected') {
      await Promise.allSettled(
        [mariadb, redis].map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)),
      );
      await rm(dir, { recursive: true, force: true });
      throw mariadb.status === 'rejected' ? mariadb.reason : (redis as PromiseRejectedResult).reason;
    }
    const context: StackContext = {
      dir,
      logDir,
      mysqlUrl: '',
      redisUrl: redis.value.url,
      log,
    };
    const stack = new ProcessStack(options, context, { mariadb: mariadb.value, redis: redis.value });
    try {
      context.mysqlUrl = await mariadb.value.createDatabase('scale_lab');
      await stack.startServices();
    } catch (error) {
      await stack.stopEverything();
      throw error;
    }
    return stack;
  }

  get mysqlUrl(): string {
    return this.context.mysqlUrl;
  }

  get redisUrl(): string {
    return this.context.redisUrl;
  }

  get dir(): string {
    return this.context.dir;
  }

  get logDir(): string {
    return this.context.logDir;
  }

  get originLog(): string {
    return join(this.context.logDir, 'front.log');
  }

  replicas(service: ServiceName): ReplicaInfo[] {
    return this.services[service].replicas.map((replica) => replica.describe());
  }

  setCdnBaseUrl(url: string): Promise<void> {
    const cdnBaseUrl = checkedCdnBaseUrl(url);
    return this.oneAtATime(() => this.replaceFront(cdnBaseUrl));
  }

  scale(service: ServiceName, count: number, env?: Record<string, string>): Promise<void> {
    assertReplicaCount(service, count);
    return this.oneAtATime(() => this.rescale(this.services[service], count, env));
  }

  async freeze(dependency: Dependency): Promise<void> {
    await this.databases[dependency].freeze();
  }

  thaw(dependency: Dependency): void {
    this.databases[dependency].thaw();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.changing;
    this.context.log('stopping the stack');
    await this.stopEverything();
  }

  private oneAtATime(change: () => Promise<void>): Promise<void> {
    const next = this.changing.then(change);
    this.changing = next.catch(() => undefined);
    return next;
  }

  /**
   * Rewrites the proxy's lists after a replica moved to another port. While a replica is down (crashed, not
   * yet restarted), its address stays listed: nginx finds the connection refused and tries another replica.
   */
  private reroute(): void {
    void this.oneAtATime(async () => {
      if (!this.stopping) await this.proxy?.setUpstreams(this.proxyUpstreams());
    }).catch((error: Error) => this.context.log(`could not update the proxy's upstreams: ${error.message}`));
  }

  private async startServices(): Promise<void> {
    // One replica of each first, so the schema is migrated once before the others start together.
    for (const service of Object.values(this.services)) {
      const count = service.name === 'woody-api' ? this.options.woodyReplicas : this.options.movieReplicas;
      if (count === 0) continue;
      service.replicas.push(...(await service.startReplicas(1)));
      service.replicas.push(...(await service.startReplicas(count - 1)));
    }
    this.context.log('starting nginx: front, proxy' + (this.cdnUrl ? ', cdn' : ''));
    this.front = await Front.start(this.context, this.options);
    this.proxy = await startNginxImage({
      ...proxyImage(this.options),
      name: 'proxy',
      upstreams: this.proxyUpstreams(),
      runDir: join(this.context.dir, 'nginx', 'proxy'),
      logFile: join(this.context.logDir, 'proxy.log'),
    });
    if (this.options.cdnPort !== undefined) {
      this.cdn = await startNginxImage({
        ...cdnImage({ port: this.options.cdnPort, dir: this.context.dir }),
        name: 'cdn',
        upstreams: this.cdnUpstreams(),
        runDir: join(this.context.dir, 'nginx', 'cdn'),
        logFile: join(this.context.logDir, 'cdn.log'),
      });
    }
  }

  private proxyUpstreams(): Record<string, string[]> {
    const upstreams: Record<string, string[]> = { front: this.front ? [this.front.address] : [] };
    for (const service of Object.values(this.services)) upstreams[service.upstream] = service.addresses();
    return upstreams;
  }

  private cdnUpstreams(): Record<string, string[]> {
    return { origin: this.front ? [this.front.address] : [] };
  }

  /** Start first, then route, then retire: the proxy stops sending to the old ones before they stop. */
  private async rescale(service: ApiService, count: number, env?: Record<string, string>): Promise<void> {
    let retiring: Replica[];
    if (env) {
      service.env = env;
      const fresh = await service.startReplicas(count);
      retiring = service.replicas.splice(0, service.replicas.length, ...fresh);
    } else if (count > service.replicas.length) {
      service.replicas.push(...(await service.startReplicas(count - service.replicas.length)));
      retiring = [];
    } else {
      retiring = service.replicas.splice(count);
    }
    await this.proxy?.setUpstreams(this.proxyUpstreams());
    for (const replica of retiring) this.context.log(`stopping ${replica.info.instanceId}`);
    await Promise.all(retiring.map((replica) => replica.stop()));
    const names = service.replicas.map((replica) => replica.info.instanceId).join(', ');
    this.context.log(`${service.name}: ${service.replicas.length} replica(s): ${names}`);
  }

  private async replaceFront(cdnBaseUrl: string): Promise<void> {
    this.options.cdnBaseUrl = cdnBaseUrl;
    const old = this.front;
    this.front = await Front.start(this.context, this.options);
    await Promise.all([
      this.proxy?.setUpstreams(this.proxyUpstreams()),
      this.cdn?.setUpstreams(this.cdnUpstreams()),
    ]);
    await old?.nginx.stop();
  }

  private async stopEverything(): Promise<void> {
    await Promise.allSettled(Object.values(this.services).map((service) => service.stopAll()));
    await Promise.allSettled([this.proxy?.stop(), this.cdn?.stop(), this.front?.nginx.stop()]);
    await Promise.allSettled([this.databases.redis.stop(), this.databases.mariadb.stop()]);
    await rm(this.context.dir, { recursive: true, force: true });
  }
}

/** Starts the whole stack on 127.0.0.1 (see ProcessStack) after checking what it needs. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const settings = {
    woodyReplicas: options.woodyReplicas ?? 3,
    movieReplicas: options.movieReplicas ?? 2,
    sitePort: options.sitePort ?? 8080,
    moviePort: options.moviePort ?? 8000,
    woodyEnv: options.woodyEnv ?? {},
    movieEnv: options.movieEnv ?? {},
    staticRateLimit: options.staticRateLimit ?? '300k',
    cdnBaseUrl: checkedCdnBaseUrl(options.cdnBaseUrl ?? ''),
    cdnPort: options.cdnPort,
  };
  assertReplicaCount('woody-api', settings.woodyReplicas);
  assertReplicaCount('movie-api', settings.movieReplicas);
  assertBuilt();
  await assertPortFree(settings.sitePort, 'the site: front and woody-api');
  await assertPortFree(settings.moviePort, 'the movie-api load balancer');
  if (settings.cdnPort !== undefined) await assertPortFree(settings.cdnPort, 'the cdn tier');
  return ProcessStack.start(settings, options.log ?? (() => undefined));
}
