// Scenario definitions are plain typed data with no Node imports, so the Node runner and k6 scripts can
// both import them. A scenario declares what it measures, which self-checks apply and which tables and
// charts show it; the runner executes that and the report renders what the results declare.

/** Which entry point a request goes to. */
export type Target =
  | 'site' // nginx site port: front and /api/ → woody-api replicas
  | 'movie-lb' // nginx movie port: the tutorial's load balancer
  | 'movie-direct' // one movie-api replica, bypassing nginx
  | 'woody-direct' // one woody-api replica, bypassing nginx
  // Reference servers the runner starts itself, on this machine: what costs almost nothing to serve.
  | 'reference-node' // a bare Node `http` server answering the time
  | 'reference-nginx' // nginx `return 200`
  | 'reference-proxy'; // nginx (keepalive) → the bare Node server

export interface RequestSpec {
  method: 'GET' | 'POST';
  /** Path and query; `{n}` becomes a request counter (a new key each time), `{n5}` the counter modulo 5 (five keys). */
  path: string;
  /** Relative share of this request in the mix (default 1). */
  weight?: number;
  body?: string;
}

/**
 * closed: `connections` clients, each sending its next request when the previous answered: "how many
 * requests per second can it serve" (throughput); its latency hides stalls (coordinated omission).
 * open: requests start on a fixed schedule whatever the answers do, and latency counts from the intended
 * start: "how fast does it answer at this rate" (k6's constant-arrival-rate).
 * burst: `requests` sent at the same instant, once each, like the tutorial's 500 processes.
 * stampede: a burst on an empty cache: the cache is flushed first, there is no warm-up, and the producer
 * runs are counted on every replica.
 * page: one page load per repeat, like a browser with an empty cache (the HTML, then all its assets).
 */
export type LoadModel =
  | { kind: 'closed'; connections: number; durationSeconds: number }
  | { kind: 'open'; ratePerSecond: number; durationSeconds: number }
  | { kind: 'burst'; requests: number }
  | { kind: 'stampede'; requests: number }
  | { kind: 'page'; path: string };

export type LoadModelKind = LoadModel['kind'];

export type CacheState = 'off' | 'cold' | 'warm';

/**
 * What the runner does to the stack while a variant's open-model load runs, to woody-api's replicas or to
 * a dependency they share:
 * kill-replica: SIGKILL one replica (containers: `docker kill`); the stack's own restart brings it back, if
 * it has one. freeze-redis, freeze-database: SIGSTOP for `holdSeconds`, then SIGCONT (containers: `docker
 * pause`, `docker unpause`): connections stay open and nothing answers, the nastier failure. scale-in: one
 * replica fewer. restart-all: every replica restarted, one at a time (local and compose: stopped, then
 * started again; Swarm: `docker service update --force`, the new task started first).
 */
export type FaultKind = 'kill-replica' | 'freeze-redis' | 'freeze-database' | 'scale-in' | 'restart-all';

export type Fault =
  | {
      kind: 'kill-replica' | 'scale-in' | 'restart-all';
      /** Seconds after the measured load started. */
      atSeconds: number;
    }
  | { kind: 'freeze-redis' | 'freeze-database'; atSeconds: number; holdSeconds: number };

export interface Variant {
  name: string;
  woodyReplicas?: number;
  movieReplicas?: number;
  /** Environment of every woody-api replica for this variant (heavy mode, cache on/off…). */
  woodyEnv?: Record<string, string>;
  movieEnv?: Record<string, string>;
  target: Target;
  /** off: no cache; cold: flushed before every repeat, no warm-up; warm: filled by the warm-up. */
  cache?: CacheState;
  /** page model: where the page's heavy assets come from. */
  assets?: 'origin' | 'cdn';
  /** Overrides of the scenario's requests for this variant. */
  requests?: readonly RequestSpec[];
  /** Overrides of the scenario's load model for this variant (e.g. open for latency, closed for throughput). */
  model?: LoadModel;
  /**
   * Variants of one curve (e.g. the heavy mode: 'sleep', 'cpu'): speed-up, scaling efficiency and the
   * scaling model compare a variant with the one-replica variant of its group.
   */
  group?: string;
  /**
   * A fault experiment: the runner injects this into the stack during each measured repeat (open model
   * only: a closed generator would pause with the stack and hide the stall), and brings the stack back to
   * the variant's replicas before anything else is measured.
   */
  fault?: Fault;
}

/** What the report shows for a scenario, beyond the main table that every scenario has. */
export type ReportSection =
  | 'scaling' // speed-up and efficiency vs one replica of the group, the throughput-vs-replicas chart and the USL fit
  | 'stampede' // time to the first and last answer, producer runs
  | 'offload' // page-load time and what the origin served
  | 'overhead' // each target's throughput as a share of the bare servers'
  | 'per-replica' // answers per replica (X-Instance)
  | 'cache-status' // answers per X-Cache status
  | 'faults'; // per fault: failed requests by kind, the worst latency, the time until throughput recovered

export interface Scenario {
  name: string;
  title: string;
  /** What a student should see, in one sentence. */
  expectation: string;
  model: LoadModel;
  requests: readonly RequestSpec[];
  /** Discarded load before each variant's measured repeats (never for cold variants). */
  warmupSeconds: number;
  repeats: number;
  variants: readonly Variant[];
  /** Extra tables and charts of this scenario in the report. */
  sections?: readonly ReportSection[];
  /** What changes in --quick runs. */
  quick?: Partial<Pick<Scenario, 'model' | 'warmupSeconds' | 'repeats' | 'variants'>>;
}
