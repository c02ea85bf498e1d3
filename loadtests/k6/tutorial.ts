// k6 version of the "tutorial" scenario, the nginx tutorial's bench: 500 parallel GET /moviesbytitle, each
// on its own connection. Burst model: 500 VUs × 1 request at once (k6 per-vu-iterations).
//
// One variant per run, chosen with -e VARIANT="<name>" (default: the first); an unknown name fails at init
// and lists the known ones. k6 cannot change replicas or environment: deploy the variant as the scenario
// defines it (loadtests/scenarios/index.ts), then run its script. The result, in the schema of the Node
// runner (runner "k6"), goes to $RESULTS_DIR/k6-<scenario>-<variant slug>.json: ./results/k6 by default,
// which must exist; the compose k6 service mounts ./loadtests at /loadtests and ./results/k6 at /results,
// and sets BASE_URL=http://proxy:8080, MOVIE_URL=http://proxy:8000, RESULTS_DIR=/results, STACK_MODE=compose.
// -e WARMUP_SECONDS=0 skips the warm-up; the end-of-test line on stdout says what k6 could not measure.
//
// Variants (4 movie-api replicas, CACHE_ENABLED=false; "queued": MOVIE_WORK_MS=10 MOVIE_WORK_CONCURRENCY=1):
//   "trivial, one replica" (default)  MOVIE_DIRECT_URL: one movie-api replica, bypassing nginx (port 3001)
//   "trivial, load balancer"          MOVIE_URL: nginx's movie port, the tutorial's load balancer
//   "queued, one replica", "queued, load balancer": the same, on replicas that queue
//
//   mkdir -p results/k6
//   k6 run -e MOVIE_DIRECT_URL=http://<replica>:3001 loadtests/k6/tutorial.ts
//   k6 run -e MOVIE_URL=http://localhost:8000 -e VARIANT="trivial, load balancer" loadtests/k6/tutorial.ts
//   CACHE_ENABLED=false MOVIE_WORK_MS=10 docker compose up -d --scale movie-api=4
//   docker compose --profile k6 run --rm k6 run -e VARIANT="queued, load balancer" /loadtests/k6/tutorial.ts
//   docker compose --profile k6 run --rm k6 run -e VARIANT="queued, one replica" \
//     -e MOVIE_DIRECT_URL=http://<project>-movie-api-1:3001 /loadtests/k6/tutorial.ts   # docker compose ps

import { tutorial } from '../scenarios/index.ts';
import { k6Options, measure, prepare, warmUp } from './common.ts';
import { summaryFor, type SummaryData } from './summary.ts';

const run = prepare(tutorial);

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
