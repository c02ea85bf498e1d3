/** The result file both runners write (results/<run>/<scenario>.json); the report reads only this. */
export const RESULT_SCHEMA_VERSION = 1;

export interface LatencySummary {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface RepeatResult {
  requests: number;
  /** Responses with a status outside 2xx. */
  non2xx: number;
  /** Requests that got no response (connection errors, timeouts). */
  errors: number;
  durationSeconds: number;
  requestsPerSecond: number;
  /** Milliseconds, from a histogram. */
  latency: LatencySummary;
  /** Answers per X-Instance value. */
  perInstance: Record<string, number>;
  /** Answers per X-Cache value (absent header: "none"). */
  perCacheStatus: Record<string, number>;
  /** Requests the replicas' /metrics counted over the same window, per instance (conservation check). */
  serverCounted?: Record<string, number>;
  /** The load generator's own CPU time over the repeat, as a share of one core. */
  generatorCpu: number;
  /** Burst model only: each request's time in ms, in sending order (as the tutorial printed them). */
  perRequestMs?: number[];
  /** Page model only: the page load and what the origin served for it (from its access log). */
  offload?: {
    pageLoadMs: number;
    originRequests: number;
    originBytes: number;
    bigImageFromOrigin: number;
    bytesByHost: Record<string, number>;
  };
}

export interface VariantResult {
  name: string;
  woodyReplicas: number;
  movieReplicas: number;
  cache: string;
  heavyMode?: string;
  target: string;
  repeats: RepeatResult[];
}

export interface Fingerprint {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  os: string;
  /** The Node version the API replicas run on. */
  node: string;
  nginx: string;
  redis: string;
  mariadb: string;
  /** Container stacks: the Docker engine's version. */
  docker?: string;
  stackMode: 'local' | 'compose' | 'swarm';
  gitCommit: string;
  startedAt: string;
}

export interface ScenarioResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  runner: 'node' | 'k6';
  scenario: string;
  title: string;
  expectation: string;
  /** closed (throughput, coordinated omission possible) or burst. */
  model: string;
  /** Closed model: requests that may be in flight when a run stops (the conservation check's margin). */
  connections?: number;
  quick: boolean;
  fingerprint: Fingerprint;
  variants: VariantResult[];
}
