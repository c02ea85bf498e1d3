// k6 version of the "baseline" scenario: each woody-api endpoint on one replica, no cache, at a fixed rate.
// Open model (k6 constant-arrival-rate): a request starts every 1/rate s whatever the answers do; k6 drops
// a slot when no VU is free (the result's schedule.missedSlots).
//
// One variant per run, chosen with -e VARIANT="<name>" (default: the first); an unknown name fails at init
// and lists the known ones. k6 cannot change replicas or environment: deploy the variant as the scenario
// defines it (loadtests/scenarios/index.ts), then run its script. The result, in the schema of the Node
// runner (runner "k6"), goes to $RESULTS_DIR/k6-<scenario>-<variant slug>.json: ./results/k6 by default,
// which must exist; the compose k6 service mounts ./loadtests at /loadtests and ./results/k6 at /results,
// and sets BASE_URL=http://proxy:8080, MOVIE_URL=http://proxy:8000, RESULTS_DIR=/results, STACK_MODE=compose.
// -e WARMUP_SECONDS=0 skips the warm-up; the end-of-test line on stdout says what k6 could not measure.
//
// Variants (one woody-api replica with HEAVY_MODE=sleep HEAVY_MS=100 HEAVY_CONCURRENCY=1 DB_SLOW_MS=100
// CACHE_ENABLED=false; target BASE_URL): "time @ 100/s" (default), "heavy @ 5/s", "products/last @ 5/s".
//
//   mkdir -p results/k6
//   k6 run -e BASE_URL=http://localhost -e VARIANT="heavy @ 5/s" loadtests/k6/baseline.ts
//   docker compose up -d --scale woody-api=1
//   docker compose --profile k6 run --rm k6 run -e VARIANT="heavy @ 5/s" /loadtests/k6/baseline.ts

import { baseline } from '../scenarios/index.ts';
import { k6Options, measure, prepare, warmUp } from './common.ts';
import { summaryFor, type SummaryData } from './summary.ts';

const run = prepare(baseline);

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
