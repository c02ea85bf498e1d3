import { describe, expect, it } from 'vitest';
import { benchTable, verdicts, type BenchRates } from '../src/bench-report.js';
import { parseWrk } from '../src/wrk.js';

const report = (extra = '') => `Running 5s test @ http://127.0.0.1:8080/api/misc/time
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms  250.11us   9.87ms   91.23%
    Req/Sec    48.20k     2.01k   51.33k    80.00%
  240012 requests in 5.00s, 45.09MB read
${extra}Requests/sec:  48002.40
Transfer/sec:      9.02MB
`;

describe("wrk's report", () => {
  it('gives the requests per second', () => {
    expect(parseWrk(report(), 'http://x/')).toBe(48002.4);
  });

  it('is refused when wrk saw error answers or socket errors', () => {
    expect(() => parseWrk(report('  Non-2xx or 3xx responses: 12\n'), 'http://x/')).toThrow(
      /wrk saw errors at http:\/\/x\/: Non-2xx or 3xx responses: 12/,
    );
    expect(() =>
      parseWrk(report('  Socket errors: connect 0, read 3, write 0, timeout 0\n'), 'http://x/'),
    ).toThrow(/Socket errors/);
    expect(() => parseWrk('unable to connect to 127.0.0.1:1', 'http://x/')).toThrow(/cannot read/);
  });
});

describe('the bench verdicts', () => {
  const rates: BenchRates = {
    bareNode: [50_000, 40_000, 60_000],
    woody: [42_000, 30_000, 45_000],
    nginx: [60_000, 60_000, 60_000],
    nginxToNode: [30_000, 20_000, 30_000],
    proxy: [27_000, 17_000, 21_000],
  };

  it('takes each ratio round by round and goes by the median', () => {
    const [direct, proxy, absolute] = verdicts(rates);
    // Rounds: 0.84, 0.75, 0.75 → median 0.75, missed although the first round met it.
    expect(direct).toMatchObject({ value: 0.75, min: 0.75, max: 0.84, atLeast: 0.8, met: false });
    // Rounds: 0.9, 0.85, 0.7 → median 0.85.
    expect(proxy).toMatchObject({ value: 0.85, min: 0.7, max: 0.9, met: true });
    expect(absolute).toMatchObject({ value: 42_000, atLeast: 39_000, met: true });
  });

  it('prints every round, the medians and a verdict per goal', () => {
    const labels = {
      bareNode: 'bare Node',
      woody: 'woody-api direct',
      nginx: 'nginx return 200',
      nginxToNode: 'nginx → bare Node',
      proxy: 'proxy → woody-api',
    };
    const table = benchTable(labels, rates);
    expect(table).toMatch(/^woody-api direct\s+42,000\s+30,000\s+45,000\s+42,000$/m);
    expect(table).toMatch(
      /^woody-api direct ÷ bare Node\s+0\.75 {2}rounds 0\.75–0\.84, goal ≥ 0\.80: goal missed$/m,
    );
    expect(table).toMatch(/goal ≥ 39,000: goal met$/m);
  });
});
