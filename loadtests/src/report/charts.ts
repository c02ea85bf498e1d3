import * as echarts from 'echarts';
import type { RepeatResult, ScenarioResult, TimelineSecond, VariantResult } from '../schema.js';
import { perInstance } from '../stats.js';
import type { SummaryRow } from './summary.js';

const WIDTH = 720;
const HEIGHT = 360;

/** Server-side SVG with ECharts: no browser, no network, no native dependency. */
export function svg(option: echarts.EChartsOption): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  chart.setOption({
    animation: false,
    backgroundColor: '#fff',
    textStyle: { fontFamily: 'sans-serif' },
    ...option,
  });
  const out = chart.renderToSVGString();
  chart.dispose();
  return out;
}

/** p50, p95 and p99 of every variant's every endpoint: a mix is never one latency. */
export function latencyPercentiles(result: ScenarioResult, rows: readonly SummaryRow[]): string {
  const bars = rows.flatMap((row) =>
    row.endpoints.map((endpoint) => ({
      label: `${row.variant}\n${shortEndpoint(endpoint.endpoint)}`,
      endpoint,
    })),
  );
  return svg({
    title: { text: `${result.scenario}: latency per endpoint (median of repeats)`, left: 'center' },
    legend: { bottom: 0 },
    grid: { bottom: 90 },
    tooltip: {},
    xAxis: { type: 'category', data: bars.map((b) => b.label), axisLabel: { interval: 0, fontSize: 9 } },
    yAxis: { type: 'log', name: 'ms', min: 0.1 },
    series: (['p50', 'p95', 'p99'] as const).map((p) => ({
      name: p,
      type: 'bar' as const,
      data: bars.map((b) => Math.max(0.1, p === 'p50' ? b.endpoint.p50.median : b.endpoint[p])),
    })),
  });
}

/** An endpoint as a chart label: the path without its query string's counters. */
export const shortEndpoint = (endpoint: string) => endpoint.replace(/^GET /, '').replace(/\?.*$/, '');

export function requestsPerReplica(result: ScenarioResult): string {
  const instances = [...new Set(result.variants.flatMap((v) => Object.keys(perInstance(v))))].sort();
  return svg({
    title: { text: `${result.scenario}: answers per replica (X-Instance)`, left: 'center' },
    legend: { bottom: 0, type: 'scroll' },
    grid: { bottom: 70 },
    xAxis: { type: 'category', data: result.variants.map((v) => v.name) },
    yAxis: { type: 'value', name: 'answers' },
    series: instances.map((instance) => ({
      name: instance,
      type: 'bar' as const,
      stack: 'replicas',
      data: result.variants.map((v) => perInstance(v)[instance] ?? 0),
    })),
  });
}

/** Answers per X-Cache status of each variant: what the cache did. */
export function cacheStatuses(result: ScenarioResult, rows: readonly SummaryRow[]): string {
  const statuses = [...new Set(rows.flatMap((row) => Object.keys(row.perCacheStatus)))].sort();
  return svg({
    title: { text: `${result.scenario}: answers per X-Cache status`, left: 'center' },
    legend: { bottom: 0 },
    grid: { bottom: 70 },
    xAxis: {
      type: 'category',
      data: rows.map((row) => row.variant),
      axisLabel: { interval: 0, fontSize: 9 },
    },
    yAxis: { type: 'value', name: 'answers' },
    series: statuses.map((status) => ({
      name: status,
      type: 'bar' as const,
      stack: 'status',
      data: rows.map((row) => row.perCacheStatus[status] ?? 0),
    })),
  });
}

/** Where a fault is shaded on a timeline: at least this wide, so that a kill (over at once) shows. */
const MIN_FAULT_WIDTH_S = 0.2;

/** The fault of a repeat as a shaded band over its window, labelled with its kind. */
function faultArea(repeat: RepeatResult): echarts.MarkAreaComponentOption | undefined {
  const fault = repeat.fault;
  if (!fault) return undefined;
  const end = Math.max(fault.endSecond, fault.startSecond + MIN_FAULT_WIDTH_S);
  return {
    silent: true,
    itemStyle: { color: 'rgba(220, 50, 47, 0.15)' },
    label: { show: true, position: 'insideTopLeft', formatter: fault.kind, fontSize: 10, color: '#a33' },
    data: [[{ xAxis: fault.startSecond }, { xAxis: end }]],
  };
}

/**
 * Each repeat of a variant second by second: 2xx answers per second, each endpoint's p99, and what failed
 * (no answer or not 2xx): how a stall or a fault shows over time. A repeat's fault is shaded over its window.
 */
export function timeline(result: ScenarioResult, variant: VariantResult): string {
  const seconds = Math.max(1, ...variant.repeats.map((r) => r.timeline.length));
  const endpoints = [
    ...new Set(variant.repeats.flatMap((r) => r.timeline.flatMap((s) => Object.keys(s.latency)))),
  ];
  // Each second's values sit in the middle of it: a fault's start and end are placed to the millisecond.
  const at = (second: TimelineSecond, value: number | null) => [second.second + 0.5, value];
  const series: echarts.SeriesOption[] = variant.repeats.flatMap((repeat, i) => [
    {
      name: `repeat ${i + 1}: 2xx/s`,
      type: 'line',
      data: repeat.timeline.map((s) => at(s, s.requests - (s.non2xx ?? 0))),
      markArea: faultArea(repeat),
    },
    ...endpoints.map((endpoint): echarts.SeriesOption => ({
      name: `repeat ${i + 1}: p99 ms, ${shortEndpoint(endpoint)}`,
      type: 'line',
      yAxisIndex: 1,
      lineStyle: { type: 'dashed' },
      data: repeat.timeline.map((s) => {
        const p99 = s.latency[endpoint]?.p99;
        return at(s, p99 === undefined ? null : Math.max(0.1, p99));
      }),
    })),
    {
      name: `repeat ${i + 1}: failed`,
      type: 'bar',
      barMaxWidth: 10,
      data: repeat.timeline.map((s) => at(s, s.errors + (s.non2xx ?? 0))),
    },
  ]);
  return svg({
    title: { text: `${result.scenario} · ${variant.name}: per second`, left: 'center' },
    legend: { bottom: 0, type: 'scroll' },
    grid: { bottom: 70 },
    xAxis: { type: 'value', name: 's', min: 0, max: seconds, interval: seconds > 30 ? 5 : 1 },
    yAxis: [
      { type: 'value', name: 'answers / s' },
      { type: 'log', name: 'p99 ms', min: 0.1 },
    ],
    series,
  });
}

/** Page-load time and the bytes the origin served, per variant (medians of the page loads). */
export function offloadComparison(rows: readonly SummaryRow[]): string {
  const loads = rows.filter((row) => row.offload);
  return svg({
    title: { text: 'Static offload: origin vs cdn tier (per page load)', left: 'center' },
    legend: { bottom: 0 },
    grid: { bottom: 70 },
    xAxis: { type: 'category', data: loads.map((row) => row.variant) },
    yAxis: [
      { type: 'value', name: 'page load (s)' },
      { type: 'value', name: 'origin MB' },
    ],
    series: [
      {
        name: 'page-load time (s)',
        type: 'bar',
        data: loads.map((row) => row.offload!.pageLoadMs.median / 1000),
      },
      {
        name: 'bytes served by the origin (MB)',
        type: 'bar',
        yAxisIndex: 1,
        data: loads.map((row) => row.offload!.originBytes / 1e6),
      },
    ],
  });
}
