import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  command,
  ContainerStackError,
  docker,
  DOCKER,
  runningContainers,
  type ContainerInfo,
} from './docker.js';

/** The services whose replicas or environment a run changes. */
export type ManagedService = 'woody-api' | 'movie-api' | 'front';

interface ServiceState {
  count: number;
  /** On top of the compose or stack file's environment. */
  env: Record<string, string>;
}

export interface DriverOptions {
  /** The repository: docker-compose.yml and stack.yml live there. */
  root: string;
  /** Compose project or Swarm stack name. */
  name: string;
  /** Where the driver may write files (the compose override). */
  workDir: string;
  /** Variables the compose file and stack file read: ports, STATIC_RATE_LIMIT, … */
  variables: Record<string, string>;
}

/** What differs between a compose project and a Swarm stack; the rest is ContainerStack's. */
export interface Driver {
  readonly mode: 'compose' | 'swarm';
  /** What `up` is called in the logs: the command a user would type. */
  readonly description: string;
  up(): Promise<void>;
  /** Exactly `count` replicas of the service, with the file's environment plus `env`. */
  apply(service: ManagedService, count: number, env: Record<string, string>): Promise<void>;
  /**
   * Restarts every replica of the service, one at a time; `ready` resolves once the service is whole
   * again (each replica ready and behind the proxy).
   */
  restartOneByOne(service: ManagedService, ready: () => Promise<void>): Promise<void>;
  /** The service's running containers (ids), old ones being replaced included. */
  containers(service: string): Promise<string[]>;
  /** For each container, an address this machine can reach (absent when it has none yet), in one lookup. */
  addresses(containers: readonly ContainerInfo[]): Promise<Map<string, string>>;
  down(): Promise<void>;
}

export class ComposeDriver implements Driver {
  readonly mode = 'compose';
  readonly description: string;
  private readonly services = new Map<ManagedService, ServiceState>([
    ['woody-api', { count: 1, env: {} }],
    ['movie-api', { count: 1, env: {} }],
    ['front', { count: 1, env: {} }],
  ]);

  private constructor(
    private readonly options: DriverOptions,
    private readonly compose: [string, ...string[]],
  ) {
    this.description = `${compose.join(' ')} -p ${options.name} up`;
  }

  /** Docker Compose v2 (`docker compose`) when the client has it, else the standalone docker-compose. */
  static async create(options: DriverOptions): Promise<ComposeDriver> {
    try {
      await docker(['compose', 'version']);
      return new ComposeDriver(options, [DOCKER, 'compose']);
    } catch {
      try {
        await command('docker-compose', ['version']);
        return new ComposeDriver(options, ['docker-compose']);
      } catch {
        throw new ContainerStackError(
          '--target compose needs Docker Compose: the `docker compose` plugin or docker-compose (Debian: apt-get install docker-compose)',
        );
      }
    }
  }

  private async run(args: string[]) {
    const override = join(this.options.workDir, 'bench-override.yml');
    // The run's environment per service, on top of docker-compose.yml's (JSON is valid YAML).
    const services = Object.fromEntries(
      [...this.services].map(([service, { env }]) => [service, { environment: env }]),
    );
    await writeFile(override, JSON.stringify({ services }, null, 2));
    const [file, ...prefix] = this.compose;
    return command(
      file,
      [
        ...prefix,
        '-p',
        this.options.name,
        '-f',
        join(this.options.root, 'docker-compose.yml'),
        '-f',
        override,
        ...args,
      ],
      { env: this.options.variables, cwd: this.options.root },
    );
  }

  private scaleArgs(): string[] {
    return (['woody-api', 'movie-api'] as const).flatMap((service) => [
      '--scale',
      `${service}=${this.services.get(service)!.count}`,
    ]);
  }

  async up() {
    // What an interrupted earlier run may have left (a second Ctrl-C kills the runner before its teardown).
    await this.down();
    await this.run(['up', '-d', ...this.scaleArgs()]);
  }

  async apply(service: ManagedService, count: number, env: Record<string, string>) {
    this.services.set(service, { count, env });
    // --no-deps: the others run already, and compose must not recreate them along with this one.
    await this.run(['up', '-d', '--no-deps', '--scale', `${service}=${count}`, service]);
  }

  /** `docker restart` per container, as a user would: stopped (SIGTERM, its requests finish), then started. */
  async restartOneByOne(service: ManagedService, ready: () => Promise<void>) {
    for (const container of await this.containers(service)) {
      await docker(['restart', container]);
      await ready();
    }
  }

  containers(service: string) {
    return runningContainers({
      'com.docker.compose.project': this.options.name,
      'com.docker.compose.service': service,
    });
  }

  async addresses(containers: readonly ContainerInfo[]) {
    const addresses = new Map<string, string>();
    for (const container of containers) {
      const network = Object.values(container.NetworkSettings.Networks).find(({ IPAddress }) => IPAddress);
      if (network) addresses.set(container.Id, network.IPAddress);
    }
    return addresses;
  }

  async down() {
    await this.run(['down', '-v', '--remove-orphans', '--timeout', '5']);
  }
}

/** The `docker service update` flags that take a service from one state to another ([] when equal). */
export function serviceUpdateArgs(before: ServiceState, after: ServiceState): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(after.env))
    if (before.env[key] !== value) args.push('--env-add', `${key}=${value}`);
  for (const key of Object.keys(before.env)) if (!(key in after.env)) args.push('--env-rm', key);
  if (after.count !== before.count || args.length > 0) args.unshift('--replicas', String(after.count));
  return args;
}

export class SwarmDriver implements Driver {
  readonly mode = 'swarm';
  readonly description: string;
  private readonly applied = new Map<ManagedService, ServiceState>();

  private constructor(private readonly options: DriverOptions) {
    this.description = `docker stack deploy -c stack.yml ${options.name}`;
  }

  static async create(options: DriverOptions): Promise<SwarmDriver> {
    const state = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();
    if (state !== 'active') {
      throw new ContainerStackError(
        `--target swarm needs this engine in a swarm (its state: ${state || 'unknown'}): run \`docker swarm init\` (one machine: \`docker swarm init --advertise-addr 127.0.0.1\`)`,
      );
    }
    return new SwarmDriver(options);
  }

  async up() {
    // What an interrupted earlier run may have left (a second Ctrl-C kills the runner before its teardown).
    const stacks = await docker(['stack', 'ls', '--format', '{{.Name}}']);
    if (stacks.split('\n').includes(this.options.name)) await this.down();
    await docker(['stack', 'deploy', '-c', join(this.options.root, 'stack.yml'), this.options.name], {
      env: this.options.variables,
      cwd: this.options.root,
    });
    // As deployed by the variables above: a first variant asking for the same changes nothing.
    this.applied.set('woody-api', { count: 1, env: {} });
    this.applied.set('movie-api', { count: 1, env: {} });
    this.applied.set('front', { count: 1, env: { CDN_BASE_URL: '' } });
  }

  async apply(service: ManagedService, count: number, env: Record<string, string>) {
    const args = serviceUpdateArgs(this.applied.get(service) ?? { count: 1, env: {} }, { count, env });
    if (args.length === 0) return;
    // Replace all replicas at once: the stack file's one-by-one rolling update (for zero downtime) would
    // make every variant change of a measurement run wait for it.
    await docker([
      'service',
      'update',
      '--quiet',
      '--update-parallelism',
      '0',
      '--update-delay',
      '0s',
      '--update-monitor',
      '1s',
      ...args,
      `${this.options.name}_${service}`,
    ]);
    this.applied.set(service, { count, env });
  }

  /**
   * A forced update, as stack.yml's update_config does it: one task at a time, the new one started before
   * the old one stops. Without its 5 s pause between tasks and 15 s monitor, which would make the restart
   * outlast the measured load; the runner watches the replicas itself.
   */
  async restartOneByOne(service: ManagedService, ready: () => Promise<void>) {
    await docker([
      'service',
      'update',
      '--quiet',
      '--force',
      '--update-parallelism',
      '1',
      '--update-order',
      'start-first',
      '--update-delay',
      '0s',
      '--update-monitor',
      '1s',
      `${this.options.name}_${service}`,
    ]);
    await ready();
  }

  containers(service: string) {
    return runningContainers({ 'com.docker.swarm.service.name': `${this.options.name}_${service}` });
  }

  /** Overlay addresses are not reachable from the host; every task is also on docker_gwbridge, which is. */
  async addresses(containers: readonly ContainerInfo[]) {
    const bridge = JSON.parse(
      await docker(['network', 'inspect', 'docker_gwbridge', '--format', '{{json .Containers}}']),
    ) as Record<string, { IPv4Address: string }> | null;
    const addresses = new Map<string, string>();
    for (const { Id } of containers) {
      const endpoint = bridge?.[Id];
      if (endpoint) addresses.set(Id, endpoint.IPv4Address.split('/')[0]!);
    }
    return addresses;
  }

  async down() {
    const namespace = { 'com.docker.stack.namespace': this.options.name };
    await docker(['stack', 'rm', this.options.name]);
    const deadline = Date.now() + 90_000;
    const networks = () =>
      docker(['network', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${this.options.name}`]);
    // Swarm removes asynchronously; a new deploy under the same name fails while the network still exists.
    while ((await runningContainers(namespace)).length > 0 || (await networks()).trim()) {
      if (Date.now() > deadline)
        throw new ContainerStackError(`stack ${this.options.name}: containers or network left after 90 s`);
      await sleep(1000);
    }
    // Stopped tasks keep the volume busy for a moment after their containers stopped.
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await docker(['volume', 'rm', `${this.options.name}_db-data`]);
        return;
      } catch (error) {
        if (/no such volume/i.test((error as Error).message)) return;
        await sleep(1000);
      }
    }
  }
}
