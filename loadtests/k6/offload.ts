// k6 version of the "offload" scenario: one page load like a browser with an empty cache. Page model: one
// VU, one iteration: GET the page, find its assets (img and script src, link href: a regex, since k6
// cannot import an HTML parser) and fetch them all with http.batch, six connections per host. The
// page-load time is the custom Trend `page_load` (the result's durationSeconds); setup() loads the page
// once first, unmeasured, which fills the cdn.
//
// One variant per run, chosen with -e VARIANT="<name>" (default: the first); an unknown name fails at init
// and lists the known ones. k6 cannot change replicas or environment: deploy the variant as the scenario
// defines it (loadtests/scenarios/index.ts), then run its script. The result, in the schema of the Node
// runner (runner "k6"), goes to $RESULTS_DIR/k6-<scenario>-<variant slug>.json: ./results/k6 by default,
// which must exist; the compose k6 service mounts ./loadtests at /loadtests and ./results/k6 at /results,
// and sets BASE_URL=http://proxy:8080, MOVIE_URL=http://proxy:8000, RESULTS_DIR=/results, STACK_MODE=compose.
// -e WARMUP_SECONDS=0 skips the warm-up; the end-of-test line on stdout says what k6 could not measure.
//
// Variants (target BASE_URL): "origin" (default: deploy with CDN_BASE_URL empty, the image comes from the
// rate-limited origin), "cdn" (deploy with CDN_BASE_URL set: the page points its image at the cdn tier).
// The page's asset URLs must resolve where k6 runs: CDN_BASE_URL=http://localhost:8081 works for k6 on the
// host, not in the compose k6 container (its localhost is itself).
// What the origin served (requests, bytes, the big image) comes from the origin's access log, which k6
// cannot read: the result has no `offload` block (the Node runner's has); its assets are one endpoint,
// "GET (page assets)".
//
//   mkdir -p results/k6
//   docker compose up -d
//   k6 run -e BASE_URL=http://localhost -e VARIANT="origin" loadtests/k6/offload.ts
//   CDN_BASE_URL=http://localhost:8081 docker compose up -d
//   k6 run -e BASE_URL=http://localhost -e VARIANT="cdn" loadtests/k6/offload.ts
//   docker compose --profile k6 run --rm k6 run -e VARIANT="origin" /loadtests/k6/offload.ts

import { offload } from '../scenarios/index.ts';
import { k6Options, measure, prepare, warmUp } from './common.ts';
import { summaryFor, type SummaryData } from './summary.ts';

const run = prepare(offload);

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
