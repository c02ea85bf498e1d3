// k6 version of the "faults" scenario's load: the open-model mix on 3 woody-api replicas (time 100/s,
// products/last 5/s, heavy 2/s: 107 req/s × 15 s), during which the Node runner injects a fault.
//
// k6 injects no fault: it cannot kill or pause a replica, Redis or the database, and it does not know when
// one happened. Only `./scale-lab run --scenario faults` injects them, records the fault's window on the
// timeline, and reports the recovery. With k6, do the fault by hand during the run, e.g. 5 s in:
//   docker kill $(docker compose ps -q woody-api | head -n 1)               (kill-replica)
//   docker compose pause redis; sleep 3; docker compose unpause redis      (freeze-redis; db: the database)
//   docker compose up -d --scale woody-api=2 woody-api                     (scale-in)
//   for c in $(docker compose ps -q woody-api); do docker restart $c; sleep 3; done     (restart-all)
// and read k6's per-second samples (`k6 run --out json=…`): its summary has no timeline.
//
// One variant per run, chosen with -e VARIANT="<name>" (default: the first); the variants differ only in
// their fault, so each runs the same load. k6 cannot change replicas or environment: deploy the variant as
// the scenario defines it (loadtests/scenarios/index.ts), then run its script. The result, in the schema of
// the Node runner (runner "k6"), goes to $RESULTS_DIR/k6-<scenario>-<variant slug>.json: ./results/k6 by
// default, which must exist; the compose k6 service mounts ./loadtests at /loadtests and ./results/k6 at
// /results, and sets BASE_URL=http://proxy:8080, MOVIE_URL=http://proxy:8000, RESULTS_DIR=/results,
// STACK_MODE=compose. -e WARMUP_SECONDS=0 skips the warm-up; the end-of-test line on stdout says what k6
// could not measure.
//
// Variants (3 woody-api replicas with HEAVY_MODE=sleep HEAVY_MS=100 HEAVY_CONCURRENCY=1 DB_SLOW_MS=50
// CACHE_ENABLED=true CACHE_LAST_TTL_MS=1000; target BASE_URL): "kill a replica" (default), "freeze Redis",
// "freeze the database", "scale 3 → 2", "restart every replica".
//
//   mkdir -p results/k6
//   docker compose up -d --scale woody-api=3
//   docker compose --profile k6 run --rm -e VARIANT="freeze Redis" k6 run /loadtests/k6/faults.ts

import { faults } from '../scenarios/index.ts';
import { k6Options, measure, prepare, warmUp } from './common.ts';
import { summaryFor, type SummaryData } from './summary.ts';

const run = prepare(faults);

export const options = k6Options(run);

/** The scenario's warm-up, unmeasured. */
export function setup(): void {
  warmUp(run);
}

export default function (): void {
  measure(run);
}

export function handleSummary(data: SummaryData) {
  return summaryFor(run, data);
}
