import type { Fault } from '../../scenarios/index.js';
import type { OriginCounter } from '../origin-log.js';
import type { Fingerprint } from '../schema.js';

export type ServiceName = 'woody-api' | 'movie-api';
export type StackMode = Fingerprint['stackMode'];

/** One replica, as the runner reaches it directly (for its /metrics and the tutorial's direct bench). */
export interface Endpoint {
  instanceId: string;
  url: string;
}

/** The versions a number depends on, as the stack runs them. */
export type ServiceVersions = Pick<Fingerprint, 'node' | 'nginx' | 'redis' | 'mariadb' | 'docker'>;

export interface BenchStackOptions {
  /** limit_rate on the site's static files (the origin of the offload scenario). */
  staticRateLimit: string;
  woodyEnv: Record<string, string>;
  log: (line: string) => void;
}

/** What the runner needs from a stack, whether it runs as local processes, a compose project or a Swarm stack. */
export interface BenchStack {
  readonly mode: StackMode;
  /** The proxy's site: the front at /, woody-api at /api/. */
  readonly siteUrl: string;
  /** The proxy's movie-api load balancer. */
  readonly movieUrl: string;
  readonly cdnUrl: string;
  readonly redisUrl: string;
  /**
   * Runs exactly `count` replicas of the service with this extra environment (replacing the replicas
   * when it changed), and returns once every one is ready and the proxy sends requests to all of them.
   */
  scale(service: ServiceName, count: number, env: Record<string, string>): Promise<void>;
  replicas(service: ServiceName): Endpoint[];
  /**
   * Does the fault to woody-api's replicas, Redis or MariaDB, and returns once it is over: at once for a
   * kill, after the thaw for a freeze, once the replicas are ready for scale-in and restart-all. It does not
   * undo it: the runner applies the variant's replicas again afterwards.
   */
  injectFault(fault: Fault): Promise<void>;
  /** Points the page's heavy assets at the cdn tier ('' serves them from the site), once the page says so. */
  setCdnBaseUrl(url: string): Promise<void>;
  countOrigin: OriginCounter;
  versions(): Promise<ServiceVersions>;
  stop(): Promise<void>;
}
