import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '@scale-lab/local-services';
import type { Fault } from '../../scenarios/index.js';
import { MARIADB_VERSION, NGINX_VERSION, REDIS_VERSION } from '../fingerprint.js';
import { countOriginLines } from '../origin-log.js';
import { ContainerStackError, docker, envOf, inspect, isHealthy, type ContainerInfo } from './docker.js';
import { ComposeDriver, SwarmDriver, type Driver } from './drivers.js';
import type { BenchStack, BenchStackOptions, Endpoint, ServiceName, ServiceVersions } from './types.js';

/** The images the stack runs that come from this repository (`nx run-many -t docker-build`). */
const OWN_IMAGES = ['woody-api', 'movie-api', 'front', 'proxy', 'cdn'];
const SERVICE_PORT: Record<ServiceName, string> = { 'woody-api': '3000', 'movie-api': '3001' };
const READY_TIMEOUT_MS = 180_000;

function repositoryRoot(): string {
  if (process.env.SCALE_LAB_ROOT) return process.env.SCALE_LAB_ROOT;
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'stack.yml'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new ContainerStackError('cannot find the repository (stack.yml)');
    directory = parent;
  }
  return directory;
}

type Readiness = { ready: true; instanceId: string } | { ready: false; answered: boolean };

/** Asks a replica directly: ready with its X-Instance, answering but not ready (e.g. shutting down), or silent. */
async function readinessAt(url: string): Promise<Readiness> {
  try {
    const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    const instanceId = response.headers.get('x-instance');
    return response.ok && instanceId ? { ready: true, instanceId } : { ready: false, answered: true };
  } catch {
    return { ready: false, answered: false };
  }
}

/**
 * How long a replica Docker calls healthy may stay silent at its address before the runner concludes that
 * this machine cannot reach container addresses (longer than a replica's shutdown grace).
 */
const UNREACHABLE_AFTER_MS = 30_000;

async function preflight(mode: 'compose' | 'swarm') {
  try {
    await docker(['version', '--format', '{{.Server.Version}}']);
  } catch (error) {
    throw new ContainerStackError(
      `--target ${mode} needs a running Docker engine, and this client cannot reach one:\n${(error as Error).message}`,
    );
  }
  const tag = process.env.SCALE_LAB_TAG ?? 'latest';
  const missing: string[] = [];
  for (const image of OWN_IMAGES) {
    try {
      await docker(['image', 'inspect', '--format', '{{.Id}}', `scale-lab/${image}:${tag}`]);
    } catch {
      missing.push(`scale-lab/${image}:${tag}`);
    }
  }
  if (missing.length > 0) {
    throw new ContainerStackError(
      `images missing: ${missing.join(', ')}; build them with \`npx nx run-many -t docker-build\` (./scale-lab run does it for you)`,
    );
  }
}

/**
 * The stack from docker-compose.yml or stack.yml under its own project name and free ports, changed per
 * variant through Docker. The runner reaches each replica at its container address for /metrics, which
 * works where the engine runs on this machine's kernel (Linux), not behind a VM (Docker Desktop).
 */
class ContainerStack implements BenchStack {
  readonly mode: 'compose' | 'swarm';
  redisUrl = '';
  private readonly endpoints = new Map<ServiceName, Endpoint[]>();
  /** The environment each service's replicas run with: a fault that scales or restarts keeps it. */
  private readonly envs = new Map<ServiceName, Record<string, string>>();

  constructor(
    private readonly driver: Driver,
    readonly siteUrl: string,
    readonly movieUrl: string,
    readonly cdnUrl: string,
    private readonly workDir: string,
    private readonly log: (line: string) => void,
  ) {
    this.mode = driver.mode;
  }

  replicas(service: ServiceName): Endpoint[] {
    return this.endpoints.get(service) ?? [];
  }

  async scale(service: ServiceName, count: number, env: Record<string, string>) {
    await this.driver.apply(service, count, env);
    this.envs.set(service, env);
    await this.waitForReplicas(service, count, env);
  }

  async injectFault(fault: Fault) {
    const service = 'woody-api';
    const count = this.replicas(service).length;
    const env = this.envs.get(service) ?? {};
    switch (fault.kind) {
      case 'kill-replica': {
        // SIGKILL. Docker counts a `docker kill` as a stop by hand: compose's restart policy leaves the
        // container stopped; Swarm starts a new task, as for any task that ended.
        const [victim] = await this.driver.containers(service);
        if (victim) await docker(['kill', victim]);
        return;
      }
      case 'freeze-redis':
      case 'freeze-database': {
        // The cgroup freezer: every process of the container stops, its connections stay open.
        const [container] = await this.driver.containers(fault.kind === 'freeze-redis' ? 'redis' : 'db');
        if (!container) throw new ContainerStackError(`${fault.kind}: no running container`);
        await docker(['pause', container]);
        try {
          await sleep(fault.holdSeconds * 1000);
        } finally {
          await docker(['unpause', container]);
        }
        return;
      }
      case 'scale-in':
        return this.scale(service, count - 1, env);
      case 'restart-all':
        return this.driver.restartOneByOne(service, () => this.waitForReplicas(service, count, env));
    }
  }

  /**
   * Every replica running with `env`, ready (its own /health/ready, asked directly: Docker's health status
   * would add up to a check interval per variant), none left over, and all behind the proxy.
   */
  async waitForReplicas(service: ServiceName, count: number, env: Record<string, string>) {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const silentSince = new Map<string, number>();
    for (;;) {
      const containers = await inspect(await this.driver.containers(service));
      const current = containers.filter(
        (container) =>
          container.State.Running &&
          Object.entries(env).every(([key, value]) => envOf(container)[key] === value),
      );
      const endpoints = await this.readyEndpoints(service, current, silentSince);
      let status = `${endpoints.length} of ${count} replicas ready with this run's settings, ${containers.length - current.length} others still running`;
      if (endpoints.length === count && containers.length === count) {
        if (await this.proxySendsToExactly(service, endpoints)) {
          this.endpoints.set(service, endpoints);
          return;
        }
        status = `${count} replicas ready, but not all of them answer through the proxy yet`;
      }
      if (Date.now() > deadline) {
        const stuck = current.find((container) => !isHealthy(container)) ?? containers[0];
        throw new ContainerStackError(
          `${service}: ${status} after ${READY_TIMEOUT_MS / 1000} s${stuck ? `\n${await this.lastLogLines(stuck)}` : ''}`,
        );
      }
      await sleep(250);
    }
  }

  /** The containers that answer /health/ready at their address. */
  private async readyEndpoints(
    service: ServiceName,
    containers: ContainerInfo[],
    silentSince: Map<string, number>,
  ): Promise<Endpoint[]> {
    const endpoints: Endpoint[] = [];
    const addresses = await this.driver.addresses(containers);
    for (const container of containers) {
      const address = addresses.get(container.Id);
      const url = `http://${address}:${envOf(container).PORT ?? SERVICE_PORT[service]}`;
      const readiness: Readiness = address ? await readinessAt(url) : { ready: false, answered: false };
      if (readiness.ready) endpoints.push({ instanceId: readiness.instanceId, url });
      if (readiness.ready || readiness.answered || !container.State.Health || !isHealthy(container)) {
        silentSince.delete(container.Id);
        continue;
      }
      const since = silentSince.get(container.Id) ?? Date.now();
      silentSince.set(container.Id, since);
      if (Date.now() - since > UNREACHABLE_AFTER_MS) {
        throw new ContainerStackError(
          `${service} container ${container.Id.slice(0, 12)} is healthy but ${address ? url : 'its address'} has not answered from this machine for ${UNREACHABLE_AFTER_MS / 1000} s. ` +
            "The runner reads each replica's /metrics at its container address, which works where Docker runs on this Linux kernel, not behind a VM (Docker Desktop): use --target local there, or the k6 profile (docs/measuring.md).",
        );
      }
    }
    return endpoints;
  }

  /** Whether a round of requests through the proxy reaches every one of these replicas and no other. */
  private async proxySendsToExactly(service: ServiceName, endpoints: Endpoint[]): Promise<boolean> {
    // A path through the proxy that every replica of the service answers, with its X-Instance.
    const url = service === 'woody-api' ? `${this.siteUrl}/api/ping` : `${this.movieUrl}/health/ready`;
    const expected = new Set(endpoints.map((endpoint) => endpoint.instanceId));
    const seen = new Set<string>();
    for (let i = 0; i < endpoints.length * 6; i++) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        await response.arrayBuffer();
        const instance = response.headers.get('x-instance');
        if (!response.ok || !instance || !expected.has(instance)) return false;
        seen.add(instance);
      } catch {
        return false;
      }
    }
    return seen.size === expected.size;
  }

  async setCdnBaseUrl(url: string) {
    await this.driver.apply('front', 1, { CDN_BASE_URL: url });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const pageSaysSo = async () => {
      const page = await fetch(`${this.siteUrl}/`, { signal: AbortSignal.timeout(5000) })
        .then(async (response) => (response.ok ? response.text() : ''))
        .catch(() => '');
      return page.includes('</html>') && (url ? page.includes(url) : !page.includes(this.cdnUrl));
    };
    const cdnReachesOrigin = () =>
      fetch(`${this.cdnUrl}/`, { signal: AbortSignal.timeout(5000) })
        .then(async (response) => (await response.arrayBuffer(), response.ok))
        .catch(() => false);
    for (;;) {
      // One front left (Swarm starts the new one before it stops the old), and the proxy's every answer
      // comes from it: the origin count reads that one container's log. The pages prove it serves.
      const fronts = await inspect(await this.driver.containers('front'));
      const switched =
        fronts.length === 1 &&
        fronts[0]!.State.Running &&
        envOf(fronts[0]!).CDN_BASE_URL === url &&
        (await cdnReachesOrigin());
      let consistent = switched;
      for (let i = 0; consistent && i < 5; i++) consistent = await pageSaysSo();
      if (consistent) return;
      if (Date.now() > deadline)
        throw new ContainerStackError(
          `front: the page did not switch to CDN_BASE_URL=${url || "''"} within ${READY_TIMEOUT_MS / 1000} s`,
        );
      await sleep(500);
    }
  }

  /** The origin is the front container: its access log (stdout) holds every request it served. */
  countOrigin = async () => {
    const [front] = await this.driver.containers('front');
    if (!front) throw new ContainerStackError('front: no running container');
    const logLines = async () => (await docker(['logs', front], {})).split('\n');
    const before = (await logLines()).length;
    return async () => countOriginLines((await logLines()).slice(before - 1));
  };

  async versions(): Promise<ServiceVersions> {
    const execIn = async (service: string, args: string[], pattern: RegExp) => {
      const [container] = await this.driver.containers(service);
      if (!container) return 'not running';
      try {
        // nginx -v prints to stderr: merge it into stdout inside the container.
        const output = await docker(['exec', container, 'sh', '-c', `${args.join(' ')} 2>&1`]);
        return pattern.exec(output)?.[1] ?? 'unknown';
      } catch {
        return 'unknown';
      }
    };
    const [node, nginx, redis, mariadb, engine] = await Promise.all([
      execIn('woody-api', ['node', '-v'], /(v\S+)/),
      execIn('proxy', ['nginx', '-v'], NGINX_VERSION),
      execIn('redis', ['redis-server', '--version'], REDIS_VERSION),
      execIn('db', ['mariadbd --version || mysqld --version'], MARIADB_VERSION),
      docker(['version', '--format', '{{.Server.Version}}']).then((out) => out.trim()),
    ]);
    return { node, nginx, redis, mariadb, docker: engine };
  }

  async findRedis() {
    const [id] = await this.driver.containers('redis');
    const [redis] = await inspect(id ? [id] : []);
    const address = redis && (await this.driver.addresses([redis])).get(redis.Id);
    if (!address) throw new ContainerStackError('redis: no reachable container');
    this.redisUrl = `redis://${address}:6379`;
  }

  private async lastLogLines(container: ContainerInfo): Promise<string> {
    const health = container.State.Health?.Log?.at(-1)?.Output.trim();
    const logs = await docker(['logs', '--tail', '8', container.Id]).catch(() => '');
    return [`container ${container.Id.slice(0, 12)}:`, health && `last health check: ${health}`, logs.trim()]
      .filter(Boolean)
      .join('\n');
  }

  async stop() {
    this.log(`tearing the ${this.mode} stack down`);
    try {
      await this.driver.down();
    } finally {
      await rm(this.workDir, { recursive: true, force: true });
    }
  }
}

/** Brings docker-compose.yml (compose) or stack.yml (swarm) up with one replica of each API. */
export async function startContainerBenchStack(
  mode: 'compose' | 'swarm',
  options: BenchStackOptions,
): Promise<BenchStack> {
  await preflight(mode);
  const [site, movie, cdn] = [await freePort(), await freePort(), await freePort()];
  const workDir = await mkdtemp(join(tmpdir(), 'scale-lab-bench-'));
  const driverOptions = {
    root: resolve(repositoryRoot()),
    name: 'scale-lab-bench',
    workDir,
    variables: {
      SITE_PORT: String(site),
      MOVIE_PORT: String(movie),
      CDN_PORT: String(cdn),
      STATIC_RATE_LIMIT: options.staticRateLimit,
      WOODY_REPLICAS: '1',
      MOVIE_REPLICAS: '1',
      CDN_BASE_URL: '',
    },
  };
  const driver =
    mode === 'compose' ? await ComposeDriver.create(driverOptions) : await SwarmDriver.create(driverOptions);
  const stack = new ContainerStack(
    driver,
    `http://127.0.0.1:${site}`,
    `http://127.0.0.1:${movie}`,
    `http://127.0.0.1:${cdn}`,
    workDir,
    options.log,
  );
  try {
    options.log(
      `starting: ${driver.description} (site :${site}, movie :${movie}, cdn :${cdn}); MariaDB's first start takes up to a minute`,
    );
    await driver.up();
    await stack.scale('woody-api', 1, options.woodyEnv);
    await stack.waitForReplicas('movie-api', 1, {});
    await stack.findRedis();
    options.log('stack ready');
    return stack;
  } catch (error) {
    await stack.stop().catch((stopError: unknown) => options.log(`teardown failed: ${String(stopError)}`));
    throw error;
  }
}
