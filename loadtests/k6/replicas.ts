// k6 version of the "replicas" scenario: heavy requests (a new name each time) on 1 to 8 woody-api
// replicas, the same offered load. Closed model: 16 VUs × 6 s (k6 constant-vus).
//
// One variant per run, chosen with -e VARIANT="<name>" (default: the first); an unknown name fails at init
// and lists the known ones. k6 cannot change replicas or environment: deploy the variant as the scenario
// defines it (loadtests/scenarios/index.ts), then run its script. The result, in the schema of the Node
// runner (runner "k6"), goes to $RESULTS_DIR/k6-<scenario>-<variant slug>.json: ./results/k6 by default,
// which must exist; the compose k6 service mounts ./loadtests at /loadtests and ./results/k6 at /results,
// and sets BASE_URL=http://proxy:8080, MOVIE_URL=http://proxy:8000, RESULTS_DIR=/results, STACK_MODE=compose.
// -e WARMUP_SECONDS=0 skips the warm-up; the end-of-test line on stdout says what k6 could not measure.
//
// Variants (target BASE_URL, HEAVY_CONCURRENCY=1, CACHE_ENABLED=false): "sleep × 1" (default), "sleep × 2",
// "sleep × 4", "sleep × 8" (HEAVY_MODE=sleep HEAVY_MS=100), "cpu × 1", "cpu × 2", "cpu × 3" (HEAVY_MODE=cpu
// HEAVY_CPU_ITERATIONS=350000).
//
//   mkdir -p results/k6
//   k6 run -e BASE_URL=http://localhost -e VARIANT="sleep × 4" loadtests/k6/replicas.ts
//   HEAVY_MODE=sleep CACHE_ENABLED=false docker compose up -d --scale woody-api=4
//   docker compose --profile k6 run --rm k6 run -e VARIANT="sleep × 4" /loadtests/k6/replicas.ts

import { replicas } from '../scenarios/index.ts';
import { k6Options, measure, prepare, warmUp } from './common.ts';
import { summaryFor, type SummaryData } from './summary.ts';

const run = prepare(replicas);

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
