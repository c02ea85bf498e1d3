import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportSection } from '../../scenarios/index.js';
import type { ScenarioResult } from '../schema.js';
import {
  cacheStatuses,
  latencyPercentiles,
  offloadComparison,
  requestsPerReplica,
  timeline,
} from './charts.js';
import { scalingCurves, summarize, type SummaryRow } from './summary.js';
import {
  ceilingLine,
  checksCell,
  faultsTable,
  mainTable,
  ms,
  offloadTable,
  overheadTable,
  scalingTable,
  stampedeTable,
} from './tables.js';
import { uslChart } from './usl-chart.js';

export interface Report {
  generatedAt: string;
  fingerprint: ScenarioResult['fingerprint'] | undefined;
  rows: SummaryRow[];
  results: ScenarioResult[];
}

/** A piece of the report: a heading, a paragraph, a Markdown table or a chart. Both formats render these. */
type Block =
  | { kind: 'heading'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'table'; markdown: string }
  | { kind: 'chart'; name: string; title: string; svg: string };

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

function introduction(report: Report): Block[] {
  const fp = report.fingerprint;
  const machine = fp
    ? ` on ${fp.cpuCount} × ${fp.cpuModel}, ${fp.memoryGiB} GiB, ${fp.os}; Node ${fp.node}, nginx ${fp.nginx}, Redis ${fp.redis}, MariaDB ${fp.mariadb}${fp.docker ? `, Docker ${fp.docker}` : ''}; stack: ${fp.stackMode}; commit ${fp.gitCommit}`
    : '';
  return [
    {
      kind: 'text',
      text: `Generated ${report.generatedAt}${machine}. ${measuredBy(report)}; medians of the repeats, (min–max) spread. Each row says which load model produced it: closed rows measure throughput, open rows latency at a fixed rate (timed from the intended start).`,
    },
    { kind: 'text', text: ceilingLine(report.results.find((r) => r.ceiling)?.ceiling) },
    { kind: 'table', markdown: mainTable(report.rows) },
    {
      kind: 'text',
      text: report.results.map((r) => `- **${r.scenario}**: ${r.expectation}`).join('\n'),
    },
    { kind: 'text', text: WHY_SEQUENTIAL },
  ];
}

/** The blocks a section adds for one scenario; a new scenario declares sections and needs no code here. */
function sectionBlocks(section: ReportSection, result: ScenarioResult, rows: SummaryRow[]): Block[] {
  switch (section) {
    case 'scaling': {
      const curves = scalingCurves([result]);
      const chart = uslChart(curves);
      return [
        { kind: 'heading', text: `${result.scenario}: scaling and the Universal Scalability Law` },
        { kind: 'table', markdown: scalingTable(rows, curves) },
        ...(chart
          ? [
              {
                kind: 'chart' as const,
                name: 'throughput-vs-replicas',
                title: 'Throughput vs replicas: measured, ideal and the USL fit',
                svg: chart,
              },
            ]
          : []),
      ];
    }
    case 'stampede':
      return [
        { kind: 'heading', text: `${result.scenario}: a cold cache, stampeded` },
        { kind: 'table', markdown: stampedeTable(rows) },
      ];
    case 'offload':
      return [
        { kind: 'heading', text: `${result.scenario}: what the origin served` },
        { kind: 'table', markdown: offloadTable(rows) },
        {
          kind: 'chart',
          name: `${result.scenario}-offload`,
          title: 'Static offload: origin vs cdn',
          svg: offloadComparison(rows),
        },
      ];
    case 'overhead':
      return [
        { kind: 'heading', text: `${result.scenario}: the cost of our request path` },
        { kind: 'table', markdown: overheadTable(result, rows) },
      ];
    case 'per-replica':
      return [
        {
          kind: 'chart',
          name: `${result.scenario}-replicas`,
          title: `${result.title}: answers per replica`,
          svg: requestsPerReplica(result),
        },
      ];
    case 'faults':
      return [
        {
          kind: 'heading',
          text: `${result.scenario}: what each fault cost, and how soon throughput came back`,
        },
        { kind: 'table', markdown: faultsTable(rows) },
      ];
    case 'cache-status':
      return [
        {
          kind: 'chart',
          name: `${result.scenario}-cache`,
          title: `${result.title}: answers per X-Cache status`,
          svg: cacheStatuses(result, rows),
        },
      ];
  }
}

function scenarioBlocks(result: ScenarioResult, allRows: readonly SummaryRow[]): Block[] {
  const rows = allRows.filter((row) => row.scenario === result.scenario);
  const timelines = result.variants
    .filter((variant) => variant.repeats.some((r) => r.timeline.length > 0) && variant.model !== 'page')
    .map((variant): Block => ({
      kind: 'chart',
      name: `${result.scenario}-timeline-${slug(variant.name)}`,
      title: `${result.scenario} · ${variant.name} (${variant.modelDescription}): per second`,
      svg: timeline(result, variant),
    }));
  return [
    { kind: 'heading', text: result.title },
    ...result.sections.flatMap((section) => sectionBlocks(section, result, rows)),
    {
      kind: 'chart',
      name: `${result.scenario}-latency`,
      title: `${result.title}: latency per endpoint`,
      svg: latencyPercentiles(result, rows),
    },
    ...timelines,
  ];
}

const slug = (text: string) =>
  text
    .normalize('NFKD')
    .replace(/[^\w]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function htmlTable(markdownText: string): string {
  const rows = markdownText.split('\n').filter((line) => line.startsWith('|') && !line.startsWith('|---'));
  const body = rows
    .map((line, i) => {
      const cells = line.split(' | ').map((cell) => escapeHtml(cell.replace(/^\| ?| ?\|$/g, '').trim()));
      const tag = i === 0 ? 'th' : 'td';
      return `<tr>${cells.map((cell) => `<${tag}>${cell}</${tag}>`).join('')}</tr>`;
    })
    .join('\n');
  const after = markdownText.split('\n').filter((line) => line.trim() && !line.startsWith('|'));
  return `<table>${body}</table>${after.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}`;
}

function markdown(blocks: Block[]): string {
  const parts = blocks.map((block) => {
    switch (block.kind) {
      case 'heading':
        return `## ${block.text}`;
      case 'text':
        return block.text;
      case 'table':
        return block.markdown;
      case 'chart':
        return `![${block.title}](charts/${block.name}.svg)`;
    }
  });
  return `# Scale Lab comparison report\n\n${parts.filter(Boolean).join('\n\n')}\n`;
}

function html(blocks: Block[]): string {
  const parts = blocks.map((block) => {
    switch (block.kind) {
      case 'heading':
        return `<h2>${escapeHtml(block.text)}</h2>`;
      case 'text':
        return block.text ? `<p>${escapeHtml(block.text).replace(/\n/g, '<br>')}</p>` : '';
      case 'table':
        return htmlTable(block.markdown);
      case 'chart':
        return `<figure><figcaption>${escapeHtml(block.title)}</figcaption>${block.svg}</figure>`;
    }
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scale Lab comparison report</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1rem}table{border-collapse:collapse;font-size:.8rem}td,th{border:1px solid #ccc;padding:.2rem .35rem}figure{margin:1.5rem 0}</style>
</head><body>
<h1>Scale Lab comparison report</h1>
${parts.filter(Boolean).join('\n')}
</body></html>
`;
}

/** The report's data: the results and their summary rows. */
export function buildReport(results: ScenarioResult[]): Report {
  return {
    generatedAt: new Date().toISOString(),
    fingerprint: results[0]?.fingerprint,
    rows: summarize(results),
    results,
  };
}

/** Writes report.json, report.md (with SVG charts beside it) and a self-contained report.html. */
export async function writeReport(results: ScenarioResult[], directory: string): Promise<Report> {
  const report = buildReport(results);
  const blocks = [
    ...introduction(report),
    ...results.flatMap((result) => scenarioBlocks(result, report.rows)),
  ];
  await mkdir(join(directory, 'charts'), { recursive: true });
  for (const block of blocks)
    if (block.kind === 'chart') await writeFile(join(directory, 'charts', `${block.name}.svg`), block.svg);
  await writeFile(join(directory, 'report.json'), JSON.stringify(report, null, 2));
  await writeFile(join(directory, 'report.md'), markdown(blocks));
  await writeFile(join(directory, 'report.html'), html(blocks));
  return report;
}

/** The summary for the terminal: a line per variant and endpoint. */
export function terminalSummary(rows: readonly SummaryRow[]): string {
  return rows
    .flatMap((row) => {
      const head = `${row.scenario.padEnd(9)} ${row.variant.padEnd(32)}`;
      if (row.interrupted && row.endpoints.length === 0) return [`${head} interrupted`];
      const total = `${row.requestsPerSecond.median.toFixed(1)} req/s`.padEnd(16);
      const endpoints = row.endpoints.map(
        (e) =>
          `    ${e.endpoint.padEnd(44)} ${`${e.requestsPerSecond.median.toFixed(1)} req/s`.padEnd(16)} p50 ${ms(e.p50.median)} ms, p99 ${ms(e.p99)} ms`,
      );
      return [`${head} ${total}${row.interrupted ? ' (interrupted) ' : ''}${checksCell(row)}`, ...endpoints];
    })
    .join('\n');
}
