// The report's tables, as Markdown. Which of them a scenario gets is what its result declares.
import type { Ceiling, ScenarioResult } from '../schema.js';
import { spread, type Spread } from '../stats.js';
import { PAYOFF_THRESHOLD } from '../usl.js';
import { CEILING_SHARE_LIMIT } from './checks.js';
import { RECOVERY_BAND, RECOVERY_STABLE_SECONDS } from './recovery.js';
import {
  formatSpread,
  type EndpointRow,
  type FaultSummary,
  type ScalingCurve,
  type SummaryRow,
} from './summary.js';

export const ms = (value: number) =>
  !Number.isFinite(value) ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(0);
const msSpread = (s: Spread) =>
  Number.isFinite(s.median) ? `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})` : '–';
const pct = (value: number) => `${(value * 100).toFixed(0)} %`;
const times = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}×`;
const count = (value: number) => (Number.isFinite(value) ? String(Math.round(value)) : '∞');

function table(header: string[], lines: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...lines.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

/** "3 (timeout 2, reset 1)" */
function tallied(counts: Record<string, number | undefined>, label = (key: string) => key): string {
  const entries = Object.entries(counts).filter(([, n]) => n);
  const total = entries.reduce((sum, [, n]) => sum + n!, 0);
  if (total === 0) return '0';
  return `${total} (${entries.map(([key, n]) => `${label(key)} ${n}`).join(', ')})`;
}

/** The self-checks of a variant, in a few words each. */
export function checksCell(row: SummaryRow): string {
  const { conservation, littlesLaw, ceiling, schedule } = row.checks;
  const parts: string[] = [];
  if (conservation)
    parts.push(
      `servers ${conservation.holds ? 'ok' : 'MISMATCH'} (Δ ${conservation.worstGap}, margin ${conservation.margin})`,
    );
  if (littlesLaw)
    parts.push(
      `Little ${littlesLaw.holds ? 'ok' : 'OFF'}: ${littlesLaw.inFlight.toFixed(1)} in flight / ${littlesLaw.connections}`,
    );
  if (ceiling)
    parts.push(`${ceiling.generatorBound ? '⚠ generator-bound: ' : ''}${pct(ceiling.share)} of ceiling`);
  if (schedule)
    parts.push(`missed ${schedule.missedSlots}/${schedule.sends} slots, lag p99 ${ms(schedule.lagP99Ms)} ms`);
  return parts.join('; ') || '–';
}

function endpointCells(endpoint: EndpointRow): string[] {
  return [
    formatSpread(endpoint.requestsPerSecond),
    msSpread(endpoint.p50),
    ms(endpoint.p95),
    ms(endpoint.p99),
    tallied(endpoint.errors),
    tallied(endpoint.non2xx, (status) => `${status} ×`),
  ];
}

/**
 * Every variant, one line per endpoint; a mix gets a line of its own for the total throughput and the
 * checks, with no latency: a mix is never summarised as one latency.
 */
export function mainTable(rows: readonly SummaryRow[]): string {
  const lines = rows.flatMap((row): string[][] => {
    const head = [row.scenario, row.variant, row.model];
    if (row.interrupted && row.endpoints.length === 0)
      return [[...head, '–', 'interrupted', '–', '–', '–', '–', '–', '–']];
    const flag = row.interrupted ? ' (interrupted)' : '';
    if (row.endpoints.length === 1) {
      const [only] = row.endpoints;
      return [[...head, `${only!.endpoint}${flag}`, ...endpointCells(only!), checksCell(row)]];
    }
    return [
      [
        ...head,
        `all${flag}`,
        formatSpread(row.requestsPerSecond),
        '–',
        '–',
        '–',
        String(row.errors),
        String(row.non2xx),
        checksCell(row),
      ],
      ...row.endpoints.map((endpoint) => ['', '', '', endpoint.endpoint, ...endpointCells(endpoint), '']),
    ];
  });
  return table(
    [
      'scenario',
      'variant',
      'model',
      'endpoint',
      'req/s median (min–max)',
      'p50 ms median (min–max)',
      'p95 ms',
      'p99 ms',
      'errors (kind)',
      'non-2xx (status)',
      'self-checks',
    ],
    lines,
  );
}

export function ceilingLine(ceiling: Ceiling | undefined): string {
  if (!ceiling) return '';
  return `Generator ceiling in this run (${ceiling.connections} connections, closed): a bare Node server ${ceiling.bareNode.toFixed(0)} req/s, nginx \`return 200\` ${ceiling.nginx.toFixed(0)} req/s. A closed row above ${pct(CEILING_SHARE_LIMIT)} of the higher one is flagged generator-bound.`;
}

/** Speed-up and efficiency per replica count, the USL fit and how far each point is from it. */
export function scalingTable(rows: readonly SummaryRow[], curves: readonly ScalingCurve[]): string {
  const lines = curves.flatMap((curve) =>
    curve.points.map((point) => {
      const row = rows.find((r) => r.scenario === curve.scenario && r.variant === point.variant);
      const residual = curve.fit?.residuals.find((r) => r.replicas === point.replicas);
      return [
        curve.group,
        point.variant,
        String(point.replicas),
        row ? formatSpread(row.requestsPerSecond) : '–',
        times(row?.speedUp),
        row?.efficiency === undefined ? '–' : pct(row.efficiency),
        residual ? residual.fitted.toFixed(1) : '–',
        residual
          ? `${residual.relativeError >= 0 ? '+' : ''}${(residual.relativeError * 100).toFixed(1)} %`
          : '–',
      ];
    }),
  );
  const fits = curves.map((curve) => {
    const fit = curve.fit;
    if (!fit) return `- **${curve.group}**: no fit (needs a one-replica point and another).`;
    return `- **${curve.group}**: λ = ${fit.lambda.toFixed(2)} req/s per replica, σ (contention) = ${fit.sigma.toFixed(4)}, κ (coherency) = ${fit.kappa.toFixed(5)}${fit.kappaFitted ? '' : ' (not fitted: one replica count above 1 only, so Amdahl, κ = 0)'}; the fitted curve peaks at N ≈ ${count(fit.peakReplicas)}; the next replica stops paying off (adds less than ${PAYOFF_THRESHOLD * 100} % of one replica's throughput) from N = ${count(fit.stopsPayingOffAt)}.`;
  });
  return `${table(['group', 'variant', 'replicas', 'req/s median (min–max)', 'speed-up', 'efficiency', 'USL fit req/s', 'measured vs fit'], lines)}\n\n${fits.join('\n')}`;
}

export function stampedeTable(rows: readonly SummaryRow[]): string {
  const stampedes = rows.filter((row) => row.stampede);
  if (stampedes.length === 0) return '';
  return table(
    [
      'variant',
      'requests at once',
      'first answer ms',
      'last answer ms',
      'producer runs median (min–max)',
      'answers per X-Cache',
    ],
    stampedes.map((row) => [
      row.variant,
      row.model.replace(/^stampede: /, ''),
      msSpread(row.stampede!.firstAnswerMs),
      msSpread(row.stampede!.lastAnswerMs),
      formatSpread(row.stampede!.producerRuns, 0),
      tallied(row.perCacheStatus),
    ]),
  );
}

/** Each target's throughput next to the bare servers' of the same run: what our request path costs. */
export function overheadTable(result: ScenarioResult, rows: readonly SummaryRow[]): string {
  const ceiling = result.ceiling;
  const byTarget = (target: string) => {
    const variant = result.variants.find((v) => v.target === target);
    return rows.find((row) => row.scenario === result.scenario && row.variant === variant?.name);
  };
  const lines = rows
    .filter((row) => row.scenario === result.scenario)
    .map((row) => [
      row.variant,
      formatSpread(row.requestsPerSecond),
      ceiling ? pct(row.requestsPerSecond.median / ceiling.bareNode) : '–',
    ]);
  if (ceiling)
    lines.unshift(
      ['bare Node server (ceiling run)', ceiling.bareNode.toFixed(1), '100 %'],
      ['nginx return 200 (ceiling run)', ceiling.nginx.toFixed(1), pct(ceiling.nginx / ceiling.bareNode)],
    );
  const direct = byTarget('woody-direct');
  const proxied = byTarget('site');
  const reference = byTarget('reference-proxy');
  const ratios = [
    direct && ceiling
      ? `woody direct / bare Node = ${times(direct.requestsPerSecond.median / ceiling.bareNode)}`
      : '',
    proxied && reference
      ? `woody through nginx / nginx → bare Node = ${times(proxied.requestsPerSecond.median / reference.requestsPerSecond.median)}`
      : '',
  ].filter(Boolean);
  return `${table(['target', 'req/s median (min–max)', 'share of the bare Node server'], lines)}\n\n${ratios.join('; ')}`;
}

/** Page loads: time, and what reached the origin (the lab measured this wrong with wget -r). */
export function offloadTable(rows: readonly SummaryRow[]): string {
  const offload = rows.filter((r) => r.offload);
  if (offload.length === 0) return '';
  return table(
    [
      'assets from',
      'page load s median (min–max)',
      'requests to the origin per load',
      'bytes from the origin per load',
      'big image from the origin (max)',
    ],
    offload.map((r) => {
      const load = r.offload!;
      return [
        r.variant,
        formatSpread(
          {
            median: load.pageLoadMs.median / 1000,
            min: load.pageLoadMs.min / 1000,
            max: load.pageLoadMs.max / 1000,
          },
          2,
        ),
        String(load.originRequests),
        `${(load.originBytes / 1e6).toFixed(2)} MB`,
        String(load.bigImageFromOrigin),
      ];
    }),
  );
}

/** Requests that got no answer (by kind) and answers outside 2xx (by status), together: what failed. */
function failedCell(endpoint: Pick<EndpointRow, 'errors' | 'non2xx'>): string {
  const statuses = Object.entries(endpoint.non2xx).map(([status, n]) => [`${status} ×`, n]);
  return tallied({ ...endpoint.errors, ...Object.fromEntries(statuses) });
}

const failedCount = (endpoint: EndpointRow) =>
  [...Object.values(endpoint.errors), ...Object.values(endpoint.non2xx)].reduce(
    (sum, n) => sum + (n ?? 0),
    0,
  );

/** "freeze-redis at 3.0 s for 2.0 s": medians over the repeats. */
function faultCell(fault: FaultSummary): string {
  const at = `${fault.kind} at ${fault.startSecond.median.toFixed(1)} s`;
  const lasted =
    fault.durationSeconds.median < 0.05 ? 'over at once' : `for ${fault.durationSeconds.median.toFixed(1)} s`;
  return `${at}, ${lasted}${fault.outlastedLoad ? ' (past the end of the load)' : ''}`;
}

/** Seconds to recover, median (min–max) over the repeats, and how many repeats it did not within the run. */
export function recoveryCell(fault: FaultSummary): string {
  const measured = fault.recoveries.filter((r) => r !== null);
  if (measured.length === 0) return '–';
  const back = measured.map((r) => r.seconds).filter((s) => s !== null);
  const notBack = measured.length - back.length;
  const parts: string[] = [];
  if (back.length === 1) parts.push(back[0]!.toFixed(1));
  if (back.length > 1) parts.push(formatSpread(spread(back)));
  if (notBack > 0)
    parts.push(`not back within the run${measured.length > 1 ? ` (${notBack} of ${measured.length})` : ''}`);
  return parts.join('; ');
}

/**
 * Per fault: what failed, by endpoint and kind; the worst latency; 2xx answers per second before the fault
 * and in its worst second; the time until throughput was back.
 */
export function faultsTable(rows: readonly SummaryRow[]): string {
  const faulted = rows.filter((row) => row.fault);
  if (faulted.length === 0) return '';
  const lines = faulted.flatMap((row) => {
    const fault = row.fault!;
    const measured = fault.recoveries.filter((r) => r !== null);
    const throughput = measured.length
      ? `${spread(measured.map((r) => r.before)).median.toFixed(0)} → ${Math.min(...measured.map((r) => r.lowest))}`
      : '–';
    const failed = row.endpoints.reduce((sum, endpoint) => sum + failedCount(endpoint), 0);
    const worst = Math.max(...row.endpoints.map((endpoint) => endpoint.max));
    return [
      [row.variant, faultCell(fault), 'all', String(failed), ms(worst), '–', throughput, recoveryCell(fault)],
      ...row.endpoints.map((endpoint) => [
        '',
        '',
        endpoint.endpoint,
        failedCell(endpoint),
        ms(endpoint.max),
        ms(endpoint.p99),
        '',
        '',
      ]),
    ];
  });
  const legend = `Failed: no answer (by kind) or an answer outside 2xx (by status), over the whole repeat. Recovery: seconds from the fault's start until the 2xx answers per second are back within ${RECOVERY_BAND * 100} % of the mean of the whole seconds before the fault, and stay there ${RECOVERY_STABLE_SECONDS} s and until the fault is over (one-second steps; 0: throughput never left the band). The timelines below shade each fault.`;
  return `${table(
    [
      'variant',
      'fault',
      'endpoint',
      'failed (kind)',
      'worst latency ms',
      'p99 ms',
      '2xx/s before → worst second',
      'recovery s',
    ],
    lines,
  )}\n\n${legend}`;
}
