import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestMetrics } from '../src/request-metrics.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What prom-client writes for the same requests: the format RequestMetrics must keep. */
async function promClientText(
  requests: [method: string, route: string, status: number, seconds: number][],
  defaultLabels: Record<string, string>,
): Promise<string> {
  const registry = new Registry();
  registry.setDefaultLabels(defaultLabels);
  const labelNames = ['method', 'route', 'status_code'] as const;
  const counter = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template and status',
    labelNames,
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by route template and status',
    labelNames,
    buckets: BUCKETS,
    registers: [registry],
  });
  for (const [method, route, status, seconds] of requests) {
    const labels = { method, route, status_code: String(status) };
    counter.inc(labels);
    histogram.observe(labels, seconds);
  }
  return registry.metrics();
}

describe('RequestMetrics', () => {
  it('writes exactly what prom-client writes for the same requests', async () => {
    const requests: [string, string, number, number][] = [
      ['GET', '/api/misc/time', 200, 0.0004],
      ['GET', '/api/misc/time', 200, 0.001], // on a bucket's bound: counted in that bucket
      ['GET', '/api/misc/time', 200, 0.0123],
      ['GET', '/api/misc/heavy', 400, 0.002],
      ['POST', '/api/orders', 202, 1.5],
      ['GET', 'unmatched', 404, 45], // past the last bucket: only in +Inf
      ['GET', '/odd/"quoted"\\path', 200, 0.3],
    ];
    const defaultLabels = { service: 'test', instance: 'test-1' };
    const metrics = new RequestMetrics(defaultLabels);
    for (const request of requests) metrics.record(...request);
    expect(metrics.render()).toBe(await promClientText(requests, defaultLabels));
  });

  it('writes the help and type lines before any request', async () => {
    expect(new RequestMetrics().render()).toBe(await promClientText([], {}));
  });
});
