// Scenario definitions are plain typed data with no Node imports, so the Node runner and k6 scripts can
// both import them.

/** Which entry point a request goes to. */
export type Target =
  | 'site' // nginx site port: front and /api/ → woody-api replicas
  | 'movie-lb' // nginx movie port: the tutorial's load balancer
  | 'movie-direct'; // one movie-api replica, bypassing nginx

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
 * requests per second can it serve" (throughput). burst: `requests` sent at the same instant, once each,
 * like the tutorial's 500 processes.
 */
export type LoadModel =
  | { kind: 'closed'; connections: number; durationSeconds: number }
  | { kind: 'burst'; requests: number }
  // page: one page load per repeat, like a browser with an empty cache (the HTML, then all its assets).
  | { kind: 'page'; path: string };

export type CacheState = 'off' | 'cold' | 'warm';

export interface Variant {
  name: string;
  woodyReplicas?: number;
  movieReplicas?: number;
  /** Environment of every woody-api replica for this variant (heavy mode, cache on/off…). */
  woodyEnv?: Record<string, string>;
  movieEnv?: Record<string, string>;
  target: Target;
  /** cold: the cache is cleared before every repeat and warm-up is skipped; warm: filled by the warm-up. */
  cache?: CacheState;
  /** page model: where the page's heavy assets come from. */
  assets?: 'origin' | 'cdn';
  /** Overrides of the scenario's requests for this variant. */
  requests?: readonly RequestSpec[];
}

export interface Scenario {
  name: string;
  title: string;
  /** What a student should see, in one sentence. */
  expectation: string;
  model: LoadModel;
  requests: readonly RequestSpec[];
  /** Discarded load before each variant's measured repeats. */
  warmupSeconds: number;
  repeats: number;
  variants: readonly Variant[];
  /** What changes in --quick runs. */
  quick?: Partial<Pick<Scenario, 'model' | 'warmupSeconds' | 'repeats' | 'variants'>>;
}
