import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScenarioResult } from '../schema.js';
import {
  cacheComparison,
  latencyPercentiles,
  offloadComparison,
  requestsPerReplica,
  throughputVsReplicas,
} from './charts.js';
import { formatSpread, summarize, type SummaryRow } from './summary.js';

export interface Report {
  generatedAt: string;
  fingerprint: ScenarioResult['fingerprint'] | undefined;
  rows: SummaryRow[];
  results: ScenarioResult[];
}

const pct = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(1)} %`;
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '–');
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(0));

/** Page loads: time, and what reached the origin (the lab measured this wrong with wget -r). */
export function offloadTable(rows: readonly SummaryRow[]): string {
  const offload = rows.filter((r) => r.offload);
  if (offload.length === 0) return '';
  return [
    '| assets from | page load s median (min–max) | requests to the origin per load | bytes from the origin per load | big image from the origin (max) |',
    '|---|---|---|---|---|',
    ...offload.map(
      (r) =>
        `| ${r.variant} | ${formatSpread({ median: r.offload!.pageLoadMs.median / 1000, min: r.offload!.pageLoadMs.min / 1000, max: r.offload!.pageLoadMs.max / 1000 }, 2)} | ${r.offload!.originRequests} | ${(r.offload!.originBytes / 1e6).toFixed(2)} MB | ${r.offload!.bigImageFromOrigin} |`,
    ),
  ].join('\n');
}

export function markdownTable(rows: readonly SummaryRow[]): string {
  const header =
    '| scenario | variant | req/s median (min–max) | p50 ms | p95 ms | p99 ms | errors + non-2xx | speed-up | efficiency | hit ratio | runner vs servers |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|';
  const lines = rows.map(
    (r) =>
      `| ${r.scenario} | ${r.variant}${r.generatorBound ? ' ⚠ generator-bound' : ''} | ${formatSpread(r.requestsPerSecond)} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${r.errors + r.non2xx} | ${times(r.speedUp)} | ${pct(r.efficiency)} | ${pct(r.hitRatio)} | ${r.conservation === undefined ? '–' : `${r.conservation.holds ? 'ok' : 'MISMATCH'}: Δ ${r.conservation.worstGap} (margin ${r.conservation.margin})`} |`,
  );
  return `${header}\n${lines.join('\n')}`;
}

function charts(results: readonly ScenarioResult[]): { name: string; title: string; svg: string }[] {
  const out: { name: string; title: string; svg: string }[] = [];
  const replicas = results.find((r) => r.scenario === 'replicas');
  const replicaChart = replicas && throughputVsReplicas(replicas);
  if (replicaChart)
    out.push({
      name: 'throughput-vs-replicas',
      title: 'Throughput vs replicas, next to the ideal line',
      svg: replicaChart,
    });
  for (const result of results) {
    out.push({
      name: `${result.scenario}-latency`,
      title: `${result.title}: latency`,
      svg: latencyPercentiles(result),
    });
    out.push({
      name: `${result.scenario}-replicas`,
      title: `${result.title}: answers per replica`,
      svg: requestsPerReplica(result),
    });
  }
  const cache = results.find((r) => r.scenario === 'cache');
  if (cache) out.push({ name: 'cache', title: 'Cache off, cold and warm', svg: cacheComparison(cache) });
  const offload = results.find((r) => r.scenario === 'offload');
  if (offload)
    out.push({ name: 'offload', title: 'Static offload: origin vs cdn', svg: offloadComparison(offload) });
  return out;
}

const WHY_SEQUENTIAL = `Why not \`time curl\`? One request that takes 1 s takes 1 s on 1 replica or on 5: replicas add capacity,
not speed. Only concurrent load shows them, as throughput and as the latency of requests that would otherwise
have queued. The lab's "replicas change nothing" was measured one request at a time.`;

/** Which runner measured what: a k6 number is never presented as the Node runner's, or the reverse. */
function measuredBy(report: Report): string {
  const byRunner = (runner: 'node' | 'k6') =>
    report.results.filter((r) => r.runner === runner).map((r) => r.scenario);
  const [node, k6] = [byRunner('node'), byRunner('k6')];
  if (k6.length === 0) return 'Every number was measured by the Node runner';
  if (node.length === 0) return 'Every number was measured by k6';
  return `Measured by the Node runner: ${node.join(', ')}; by k6: ${k6.join(', ')}`;
}

function markdown(report: Report, chartList: { name: string; title: string }[]): string {
  const fp = report.fingerprint;
  return `# Scale Lab comparison report

Generated ${report.generatedAt}${fp ? ` on ${fp.cpuCount} × ${fp.cpuModel}, ${fp.memoryGiB} GiB, ${fp.os}; Node ${fp.node}, nginx ${fp.nginx}, Redis ${fp.redis}, MariaDB ${fp.mariadb}; stack: ${fp.stackMode}; commit ${fp.gitCommit}` : ''}.
${measuredBy(report)}; medians of the repeats, (min–max) spread.

${markdownTable(report.rows)}

${offloadTable(report.rows)}

${report.results.map((r) => `- **${r.scenario}** (${r.model}): ${r.expectation}`).join('\n')}

${WHY_SEQUENTIAL}

${chartList.map((c) => `## ${c.title}\n\n![${c.title}](charts/${c.name}.svg)`).join('\n\n')}
`;
}

function htmlTable(markdownText: string): string {
  return markdownText
    .split('\n')
    .filter((line) => !line.startsWith('|---'))
    .map((line, i) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((cell) => escapeHtml(cell.trim()));
      const tag = i === 0 ? 'th' : 'td';
      return `<tr>${cells.map((cell) => `<${tag}>${cell}</${tag}>`).join('')}</tr>`;
    })
    .join('\n');
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function html(report: Report, chartList: { title: string; svg: string }[], markdownText: string): string {
  const table = htmlTable(markdownTable(report.rows));
  const offload = offloadTable(report.rows);
  const intro = escapeHtml(markdownText.split('\n').slice(2, 4).join(' '));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scale Lab comparison report</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1rem}table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;padding:.25rem .4rem}figure{margin:1.5rem 0}</style>
</head><body>
<h1>Scale Lab comparison report</h1>
<p>${intro}</p>
<table>${table}</table>
${offload ? `<h2>Static offload</h2><table>${htmlTable(offload)}</table>` : ''}
<ul>${report.results.map((r) => `<li><b>${escapeHtml(r.scenario)}</b> (${escapeHtml(r.model)}): ${escapeHtml(r.expectation)}</li>`).join('')}</ul>
<p>${escapeHtml(WHY_SEQUENTIAL)}</p>
${chartList.map((c) => `<figure><figcaption>${escapeHtml(c.title)}</figcaption>${c.svg}</figure>`).join('\n')}
</body></html>
`;
}

/** Writes report.json, report.md (with SVG charts beside it) and a self-contained report.html. */
export async function writeReport(results: ScenarioResult[], directory: string): Promise<Report> {
  const report: Report = {
    generatedAt: new Date().toISOString(),
    fingerprint: results[0]?.fingerprint,
    rows: summarize(results),
    results,
  };
  const chartList = charts(results);
  await mkdir(join(directory, 'charts'), { recursive: true });
  for (const chart of chartList) await writeFile(join(directory, 'charts', `${chart.name}.svg`), chart.svg);
  const markdownText = markdown(report, chartList);
  await writeFile(join(directory, 'report.json'), JSON.stringify(report, null, 2));
  await writeFile(join(directory, 'report.md'), markdownText);
  await writeFile(join(directory, 'report.html'), html(report, chartList, markdownText));
  return report;
}

/** The summary for the terminal. */
export function terminalSummary(rows: readonly SummaryRow[]): string {
  const lines = rows.map((r) =>
    [
      r.scenario.padEnd(9),
      r.variant.padEnd(14),
      `${formatSpread(r.requestsPerSecond)} req/s`.padEnd(30),
      `p50 ${ms(r.p50)} ms`.padEnd(14),
      `p99 ${ms(r.p99)} ms`.padEnd(14),
      times(r.speedUp).padEnd(8),
      r.efficiency === undefined ? '' : `eff ${pct(r.efficiency)}`.padEnd(9),
      r.hitRatio > 0 ? `hits ${pct(r.hitRatio)}` : '',
      r.errors + r.non2xx > 0 ? `ERRORS ${r.errors + r.non2xx}` : '',
      r.generatorBound ? '(generator-bound)' : '',
    ]
      .join(' ')
      .trimEnd(),
  );
  return lines.join('\n');
}

/** Before/after: throughput and p50 of every variant both reports have. */
export function compareReports(before: Report, after: Report): string {
  const lines = [
    '| scenario | variant | req/s before → after | p50 ms before → after |',
    '|---|---|---|---|',
  ];
  for (const row of after.rows) {
    const old = before.rows.find((r) => r.scenario === row.scenario && r.variant === row.variant);
    if (!old) continue;
    lines.push(
      `| ${row.scenario} | ${row.variant} | ${old.requestsPerSecond.median.toFixed(1)} → ${row.requestsPerSecond.median.toFixed(1)} (${(row.requestsPerSecond.median / old.requestsPerSecond.median).toFixed(2)}×) | ${ms(old.p50)} → ${ms(row.p50)} |`,
    );
  }
  return lines.join('\n');
}
