// k6 version of the "baseline" scenario: same definition as the Node runner (loadtests/scenarios).
// Run against a deployed stack: k6 run -e BASE_URL=http://localhost -e VARIANT="..." loadtests/k6/baseline.ts
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { baseline } from '../scenarios/index.ts';
import { BASE_URL, k6Options, pathFor, summaryFor } from './common.ts';

export const options = k6Options(baseline);

export default function (): void {
  const spec = pathFor(baseline.requests, exec.scenario.iterationInTest);
  const response = http.request(spec.method, `${BASE_URL}${spec.path}`, spec.body ?? null, {
    tags: { name: spec.path.replace(/\?.*/, '') },
  });
  check(response, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
}

export function handleSummary(data: Parameters<typeof summaryFor>[1]) {
  return summaryFor(baseline, data);
}
