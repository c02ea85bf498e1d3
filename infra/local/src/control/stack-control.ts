import { setTimeout as sleep } from 'node:timers/promises';
import { conflict, notFound } from '@scale-lab/service';
import type { Dependency, LocalStack, ReplicaInfo, ServiceName } from '../stack.js';

const SERVICES: ServiceName[] = ['woody-api', 'movie-api'];

export type ReplicaItem = Pick<ReplicaInfo, 'service' | 'instanceId' | 'url' | 'pid'>;

/**
 * What the control API does to a running stack. Changes run one at a time, in the order they came: two
 * overlapping ones (a scale during a freeze, a kill during a scale) would make a lab's result unreadable.
 */
export class StackControl {
  private queue: Promise<unknown> = Promise.resolve();
  private freezing: { dependency: Dependency; until: number } | undefined;
  // Aborted when the control server closes: a freeze in progress thaws at once instead of holding it open.
  private readonly closing = new AbortController();

  constructor(private readonly stack: LocalStack) {}

  replicas(): ReplicaItem[] {
    return SERVICES.flatMap((service) => this.stack.replicas(service)).map(
      ({ service, instanceId, url, pid }) => ({ service, instanceId, url, pid }),
    );
  }

  scale(service: ServiceName, replicas: number) {
    return this.oneAtATime(async () => {
      const started = performance.now();
      await this.stack.scale(service, replicas);
      const seconds = Math.round((performance.now() - started) / 10) / 100;
      return { service, replicas: this.replicas().filter((item) => item.service === service), seconds };
    });
  }

  kill(instance: string) {
    return this.oneAtATime(async () => {
      const replica = this.replicas().find((item) => item.instanceId === instance);
      if (!replica) {
        const known = this.replicas().map((item) => item.instanceId);
        throw notFound(`no replica ${instance}; known instances: ${known.join(', ') || 'none'}`);
      }
      // pid 0: between a crash and its restart (process.kill(0) would signal this whole process group,
      // the stack itself); ESRCH: its process exited a moment ago and the supervisor has not yet noticed.
      const down = () => conflict(`${instance} is down and being restarted; try again in a moment`);
      if (replica.pid <= 0) throw down();
      try {
        process.kill(replica.pid, 'SIGKILL');
      } catch {
        throw down();
      }
      return { instance, pid: replica.pid };
    });
  }

  freeze(dependency: Dependency, seconds: number) {
    if (this.freezing) {
      const left = Math.max(0, Math.ceil((this.freezing.until - Date.now()) / 1000));
      throw conflict(
        `${this.freezing.dependency} is frozen already (thawed in about ${left} s); try again then`,
      );
    }
    // Claimed now, before the queue: a second freeze asked meanwhile is refused, not queued behind.
    this.freezing = { dependency, until: Date.now() + seconds * 1000 };
    return this.oneAtATime(async () => {
      try {
        await this.stack.freeze(dependency);
        try {
          await sleep(seconds * 1000, undefined, { signal: this.closing.signal }).catch(() => undefined);
        } finally {
          this.stack.thaw(dependency);
        }
        return { dependency, seconds };
      } finally {
        this.freezing = undefined;
      }
    });
  }

  assets(assets: 'cdn' | 'origin') {
    const { cdnUrl } = this.stack;
    if (assets === 'cdn' && !cdnUrl) throw conflict('this stack has no cdn tier (start it with a cdn port)');
    const baseUrl = assets === 'cdn' ? cdnUrl! : '';
    return this.oneAtATime(async () => {
      await this.stack.setCdnBaseUrl(baseUrl);
      return { assets, baseUrl };
    });
  }

  /** Ends a freeze in progress now (its answer still comes): the server is closing. */
  close(): void {
    this.closing.abort();
  }

  private oneAtATime<T>(change: () => Promise<T>): Promise<T> {
    const next = this.queue.then(change);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
