// k6 version of the "overhead" scenario: /api/misc/time on one woody-api replica, directly and through
// nginx, next to nginx in front of a bare Node server. Closed model: 16 VUs × 3 s (k6 constant-vus).
//
// One variant per run, chosen with -e VARIANT="<name>" (default: the first); an unknown name fails at init
// and lists the known ones. k6 cannot change replicas or environment: deploy the variant as the scenario
// defines it (loadtests/scenarios/index.ts), then run its script. The result, in the schema of the Node
// runner (runner "k6"), goes to $RESULTS_DIR/k6-<scenario>-<variant slug>.json: ./results/k6 by default,
// which must exist; the compose k6 service mounts ./loadtests at /loadtests and ./results/k6 at /results,
// and sets BASE_URL=http://proxy:8080, MOVIE_URL=http://proxy:8000, RESULTS_DIR=/results, STACK_MODE=compose.
// -e WARMUP_SECONDS=0 skips the warm-up; the end-of-test line on stdout says what k6 could not measure.
//
// Variants and their targets:
//   "nginx → bare Node" (default)  REFERENCE_URL: nginx (keepalive) → a bare Node `http` server answering
//                                  the time; start them yourself (the Node runner starts its own, see
//                                  loadtests/src/reference-server.ts)
//   "woody direct"                 WOODY_DIRECT_URL: one woody-api replica, bypassing nginx (port 3000)
//   "woody through nginx"          BASE_URL
//
//   mkdir -p results/k6
//   k6 run -e REFERENCE_URL=http://<host>:<port> loadtests/k6/overhead.ts
//   k6 run -e VARIANT="woody direct" -e WOODY_DIRECT_URL=http://<replica>:3000 loadtests/k6/overhead.ts
//   k6 run -e BASE_URL=http://localhost -e VARIANT="woody through nginx" loadtests/k6/overhead.ts
//   docker compose up -d --scale woody-api=1
//   docker compose --profile k6 run --rm k6 run -e VARIANT="woody through nginx" /loadtests/k6/overhead.ts
//   docker compose --profile k6 run --rm k6 run -e VARIANT="woody direct" \
//     -e WOODY_DIRECT_URL=http://<project>-woody-api-1:3000 /loadtests/k6/overhead.ts   # docker compose ps

import { overhead } from '../scenarios/index.ts';
import { k6Options, measure, prepare, warmUp } from './common.ts';
import { summaryFor, type SummaryData } from './summary.ts';

const run = prepare(overhead);

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
