// k6 version of the "cache" scenario: heavy and products/last on 3 woody-api replicas (HEAVY_MS and
// DB_SLOW_MS 300), missed, stampeded cold, and hit.
//
// One variant per run, chosen with -e VARIANT="<name>" (default: the first); an unknown name fails at init
// and lists the known ones. k6 cannot change replicas or environment: deploy the variant as the scenario
// defines it (loadtests/scenarios/index.ts), then run its script. The result, in the schema of the Node
// runner (runner "k6"), goes to $RESULTS_DIR/k6-<scenario>-<variant slug>.json: ./results/k6 by default,
// which must exist; the compose k6 service mounts ./loadtests at /loadtests and ./results/k6 at /results,
// and sets BASE_URL=http://proxy:8080, MOVIE_URL=http://proxy:8000, RESULTS_DIR=/results, STACK_MODE=compose.
// -e WARMUP_SECONDS=0 skips the warm-up; the end-of-test line on stdout says what k6 could not measure.
//
// Variants (target BASE_URL):
//   "miss @ 6/s" (default)              open, 6 req/s × 4 s, CACHE_ENABLED=false
//   "stampede, no cross-replica lock"   stampede: 60 VUs × 1 request at once, CACHE_CROSS_REPLICA_LOCK=false
//   "stampede"                          stampede: 60 VUs × 1 request at once
//   "hit @ 200/s"                       open, 200 req/s × 4 s, warm (setup() fills the cache)
//   "hits, closed"                      closed, 8 VUs × 4 s, warm
//
// Stampede: k6 cannot flush the cache, and there is no warm-up: flush it just before the run, e.g.
// `docker compose exec redis redis-cli FLUSHALL`. The producer runs (the point of the stampede) are counted
// by each replica's /metrics, `cache_producer_runs_total`, which k6 cannot sum over the replicas: read it on
// every replica before and after, e.g.
//   for i in 1 2 3; do docker compose exec --index $i woody-api node -e \
//     "fetch('http://127.0.0.1:3000/metrics').then(r => r.text())
//       .then(t => console.log(t.match(/^cache_producer_runs_total.*$/gm)?.join('\n')))"; done
// The result has no `stampede` block: its first and last answer are the stdout line's (min and max latency).
//
//   mkdir -p results/k6
//   k6 run -e BASE_URL=http://localhost -e VARIANT="hit @ 200/s" loadtests/k6/cache.ts
//   docker compose up -d --scale woody-api=3
//   docker compose --profile k6 run --rm k6 run -e VARIANT="hit @ 200/s" /loadtests/k6/cache.ts
//   docker compose exec redis redis-cli FLUSHALL && \
//     docker compose --profile k6 run --rm k6 run -e VARIANT="stampede" /loadtests/k6/cache.ts

import { cache } from '../scenarios/index.ts';
import { k6Options, measure, prepare, warmUp } from './common.ts';
import { summaryFor, type SummaryData } from './summary.ts';

const run = prepare(cache);

export const options = k6Options(run);

/** The scenario's warm-up, unmeasured (none for cold, burst and stampede variants). */
export function setup(): void {
  warmUp(run);
}

export default function (): void {
  measure(run);
}

export function handleSummary(data: SummaryData) {
  return summaryFor(run, data);
}
