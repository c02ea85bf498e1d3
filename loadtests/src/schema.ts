/** The result file both runners write (results/<run>/<scenario>.json); the report reads only this. */
import type { FaultKind, LoadModelKind, ReportSection } from '../scenarios/index.js';

export const RESULT_SCHEMA_VERSION = 2;

export interface LatencySummary {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Why a request got no answer. */
export type ErrorKind = 'timeout' | 'refused' | 'reset' | 'parse' | 'other';

/** One kind of request of the mix (method and path as the scenario wrote them), measured on its own. */
export interface EndpointResult {
  /** Requests that got an answer, of any status. */
  requests: number;
  /** Answers per HTTP status. */
  statuses: Record<string, number>;
  /** Requests that got no answer, per kind. */
  errors: Partial<Record<ErrorKind, number>>;
  /** Milliseconds, from this endpoint's own histogram: a mix is never summarised as one latency. */
  latency: LatencySummary;
}

/** One second of a repeat (by completion time): what a fault or a stall looks like over time. */
export interface TimelineSecond {
  second: number;
  requests: number;
  /** Of those answers, the ones outside 2xx (absent in results written before it was counted). */
  non2xx?: number;
  errors: number;
  /** Milliseconds, per endpoint that answered in that second. */
  latency: Record<string, { p50: number; p99: number }>;
}

/** A fault injected during a repeat, in seconds on the repeat's timeline. */
export interface FaultWindow {
  kind: FaultKind;
  /** When the runner started injecting it. */
  startSecond: number;
  /** When it was over: at once for a kill, the thaw for a freeze, the last replica ready for scale and restart. */
  endSecond: number;
  /** How long the load was scheduled for: the timeline's seconds after it hold only the last answers. */
  loadSeconds: number;
}

export interface RepeatResult {
  /** Requests that got an answer, of any status. */
  requests: number;
  /** Answers with a status outside 2xx. */
  non2xx: number;
  /** Requests that got no answer (connection errors, timeouts). */
  errors: number;
  durationSeconds: number;
  requestsPerSecond: number;
  /** Milliseconds, every endpoint together: used for Little's law, never shown for a mix. */
  latency: LatencySummary;
  /** Keyed by "METHOD path" as the scenario wrote it. */
  endpoints: Record<string, EndpointResult>;
  timeline: TimelineSecond[];
  /** Answers per X-Instance value. */
  perInstance: Record<string, number>;
  /** Answers per X-Cache value (absent header: "none"). */
  perCacheStatus: Record<string, number>;
  /** Requests the replicas' /metrics counted over the same window, per instance (conservation check). */
  serverCounted?: Record<string, number>;
  /** The load generator's own CPU time over the repeat, as a share of one core. */
  generatorCpu: number;
  /** Closed model: how long the requests still unanswered at the end had been in flight (ms, summed). */
  unfinishedMs?: number;
  /** Open model: how well the generator kept its schedule. */
  schedule?: {
    ratePerSecond: number;
    /** Sends that left more than the tolerance after their slot (latency still counts from the slot). */
    missedSlots: number;
    toleranceMs: number;
    lagP99Ms: number;
    lagMaxMs: number;
  };
  /** Stampede model: a burst on an empty cache. */
  stampede?: {
    firstAnswerMs: number;
    lastAnswerMs: number;
    /** cache_producer_runs_total summed over every replica, after minus before. */
    producerRuns: number;
  };
  /** Burst model only: each request's time in ms, in sending order (as the tutorial printed them). */
  perRequestMs?: number[];
  /** Fault experiments: what the runner did to the stack during this repeat, and when. */
  fault?: FaultWindow;
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
  /** How the load was generated, and its size. */
  model: LoadModelKind;
  modelDescription: string;
  /** Closed model: clients (Little's law, the conservation margin); burst and stampede: requests at once. */
  connections?: number;
  /** Replicas behind the entry point the load went to (1 for a direct target). */
  replicas: number;
  woodyReplicas: number;
  movieReplicas: number;
  cache: string;
  heavyMode?: string;
  target: string;
  group?: string;
  /** The run was stopped (Ctrl-C) before this variant's repeats were all measured. */
  interrupted?: boolean;
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

/**
 * The generator's own ceiling, measured in the same run against servers that cost almost nothing: a bare
 * Node `http` server and an nginx `return 200`. A variant near it measures the generator, not the stack.
 */
export interface Ceiling {
  connections: number;
  /** req/s, median of the repeats. */
  bareNode: number;
  nginx: number;
}

export interface ScenarioResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  runner: 'node' | 'k6';
  scenario: string;
  title: string;
  expectation: string;
  /** The scenario's load model in words (a variant may override it: see its own model). */
  model: string;
  quick: boolean;
  /** Extra tables and charts, as the scenario declared them. */
  sections: ReportSection[];
  ceiling?: Ceiling;
  fingerprint: Fingerprint;
  variants: VariantResult[];
}
