import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertPortFree, freePort, ManagedProcess } from '@scale-lab/local-services';

export type ServiceName = 'woody-api' | 'movie-api';

export interface ReplicaInfo {
  service: ServiceName;
  instanceId: string;
  port: number;
  url: string;
  /** The process running now: a new one after each restart. */
  pid: number;
}

/**
 * Like Swarm's `restart_policy` (condition any): a replica that exits without being asked is started again,
 * after `delayMs` the first time and twice as long each further time, up to `maxDelayMs`; once a process has
 * stayed up for `resetAfterMs`, its next crash is a first one again.
 */
export interface RestartPolicy {
  delayMs: number;
  maxDelayMs: number;
  resetAfterMs: number;
}

export const RESTART_POLICY: RestartPolicy = { delayMs: 500, maxDelayMs: 10_000, resetAfterMs: 10_000 };

/** How long a starting process may take to answer /health/ready. */
const READY_TIMEOUT_MS = 60_000;

export interface ReplicaOptions {
  service: ServiceName;
  instanceId: string;
  entry: string;
  logDir: string;
  env: Record<string, string>;
  /** Where the supervision says what it does: a crash, the restart, the replica back. */
  log: (line: string) => void;
  /** Called when a restart had to take another port (its own was taken meanwhile): route to the new one. */
  onMoved: () => void;
  restartPolicy?: RestartPolicy;
}

/**
 * One API replica: a process on a loopback port, ready when /health/ready answers 200, and started again
 * (same instance id, same port while it is free) whenever it exits without stop() having been called.
 */
export class Replica {
  private process: ManagedProcess;
  private startedAt = 0;
  private stopping = false;
  private readonly stopped = new AbortController();
  private supervision: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: ReplicaOptions,
    private port: number,
  ) {
    this.process = this.spawn();
  }

  /** Starts the first process and waits until it is ready; only then is it supervised. */
  static async start(options: ReplicaOptions): Promise<Replica> {
    const replica = new Replica(options, await freePort());
    try {
      await replica.ready();
    } catch (error) {
      await replica.process.stop(); // still running when it was only slow
      throw error;
    }
    replica.supervision = replica.supervise();
    return replica;
  }

  get info(): Omit<ReplicaInfo, 'pid'> {
    const { service, instanceId } = this.options;
    return { service, instanceId, port: this.port, url: this.url };
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private get url(): string {
    return `http://${this.address}`;
  }

  describe(): ReplicaInfo {
    return { ...this.info, pid: this.process.pid ?? 0 };
  }

  /** On purpose, so not restarted. SIGTERM: the service finishes its in-flight requests, then exits. */
  async stop(): Promise<void> {
    this.stopping = true; // from here on, supervise() starts nothing: this.process is the last one
    this.stopped.abort();
    await this.process.stop(30_000);
    await this.supervision;
  }

  private spawn(): ManagedProcess {
    const { instanceId } = this.options;
    const process_ = new ManagedProcess({
      name: instanceId,
      command: process.execPath,
      args: [this.options.entry],
      logFile: join(this.options.logDir, `${instanceId}.log`),
      env: {
        PATH: process.env.PATH,
        ...this.options.env,
        HOST: '127.0.0.1',
        PORT: String(this.port),
        INSTANCE_ID: instanceId,
      },
    });
    process_.start();
    this.startedAt = performance.now();
    return process_;
  }

  private ready(): Promise<void> {
    return this.process.waitUntil(async () => (await fetch(`${this.url}/health/ready`)).ok, READY_TIMEOUT_MS);
  }

  private async supervise(): Promise<void> {
    const { instanceId, log } = this.options;
    const policy = this.options.restartPolicy ?? RESTART_POLICY;
    let delay = policy.delayMs;
    for (;;) {
      const code = await this.process.exited;
      if (this.stopping) return;
      if (performance.now() - this.startedAt >= policy.resetAfterMs) delay = policy.delayMs;
      const how = this.process.signalCode ? `signal ${this.process.signalCode}` : `code ${code}`;
      log(`${instanceId} exited with ${how}; restarting in ${delay} ms`);
      await sleep(delay, undefined, { signal: this.stopped.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, policy.maxDelayMs);
      if (this.stopping) return;
      if (!(await isFree(this.port))) {
        const taken = this.port;
        this.port = await freePort();
        if (this.stopping) return;
        log(`${instanceId}: port ${taken} is taken; restarting on port ${this.port}`);
        this.options.onMoved();
      }
      if (this.stopping) return;
      this.process = this.spawn();
      try {
        await this.ready();
        log(`${instanceId} restarted (pid ${this.process.pid})`);
      } catch (error) {
        // Exited during start-up (the next turn restarts it, later) or stopped; or still not ready, and
        // left running as Swarm would leave it.
        if (!this.stopping && this.process.running) log((error as Error).message.split('\n')[0]!);
      }
    }
  }
}

function isFree(port: number): Promise<boolean> {
  return assertPortFree(port, 'a replica').then(
    () => true,
    () => false,
  );
}
