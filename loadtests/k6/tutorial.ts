// k6 version of the "tutorial" scenario: same definition as the Node runner (loadtests/scenarios).
// Run against a deployed stack: k6 run -e MOVIE_URL=http://localhost:8000 -e VARIANT="..." loadtests/k6/tutorial.ts
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { tutorial } from '../scenarios/index.ts';
import { k6Options, MOVIE_URL, pathFor, summaryFor } from './common.ts';

export const options = k6Options(tutorial);

export default function (): void {
  const spec = pathFor(tutorial.requests, exec.scenario.iterationInTest);
  const response = http.request(spec.method, `${MOVIE_URL}${spec.path}`, spec.body ?? null, {
    tags: { name: spec.path.replace(/\?.*/, '') },
  });
  check(response, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
}

export function handleSummary(data: Parameters<typeof summaryFor>[1]) {
  return summaryFor(tutorial, data);
}
