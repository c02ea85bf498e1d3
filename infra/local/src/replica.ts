import { join } from 'node:path';
import { freePort, ManagedProcess } from '@scale-lab/local-services';

export type ServiceName = 'woody-api' | 'movie-api';

export interface ReplicaInfo {
  service: ServiceName;
  instanceId: string;
  port: number;
  url: string;
  pid: number;
}

export interface ReplicaOptions {
  service: ServiceName;
  instanceId: string;
  entry: string;
  logDir: string;
  env: Record<string, string>;
}

/** One API process on a free loopback port, ready when /health/ready answers 200. */
export class Replica {
  private constructor(
    readonly info: Omit<ReplicaInfo, 'pid'>,
    private readonly process: ManagedProcess,
  ) {}

  static async start(options: ReplicaOptions): Promise<Replica> {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const process_ = new ManagedProcess({
      name: options.instanceId,
      command: process.execPath,
      args: [options.entry],
      logFile: join(options.logDir, `${options.instanceId}.log`),
      env: {
        PATH: process.env.PATH,
        ...options.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        INSTANCE_ID: options.instanceId,
      },
    });
    process_.start();
    await process_.waitUntil(async () => (await fetch(`${url}/health/ready`)).ok, 60_000);
    return new Replica({ service: options.service, instanceId: options.instanceId, port, url }, process_);
  }

  get address(): string {
    return `127.0.0.1:${this.info.port}`;
  }

  describe(): ReplicaInfo {
    return { ...this.info, pid: this.process.pid ?? 0 };
  }

  /** SIGTERM: the service finishes its in-flight requests, then exits. */
  stop(): Promise<void> {
    return this.process.stop(30_000);
  }
}
