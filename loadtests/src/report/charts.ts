import * as echarts from 'echarts';
import type { ScenarioResult } from '../schema.js';
import { latency, perInstance, throughput } from '../stats.js';

const WIDTH = 720;
const HEIGHT = 360;

/** Server-side SVG with ECharts: no browser, no network, no native dependency. */
function svg(option: echarts.EChartsOption): string {
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

export function throughputVsReplicas(replicas: ScenarioResult): string | undefined {
  const modes = [...new Set(replicas.variants.map((v) => v.heavyMode ?? 'sleep'))];
  const series: echarts.SeriesOption[] = [];
  let maxReplicas = 1;
  for (const mode of modes) {
    const variants = replicas.variants
      .filter((v) => (v.heavyMode ?? 'sleep') === mode)
      .sort((a, b) => a.woodyReplicas - b.woodyReplicas);
    const single = variants.find((v) => v.woodyReplicas === 1);
    if (!single) continue;
    const one = throughput(single).median;
    maxReplicas = Math.max(maxReplicas, ...variants.map((v) => v.woodyReplicas));
    series.push({
      name: `${mode}: measured`,
      type: 'line',
      data: variants.map((v) => [v.woodyReplicas, throughput(v).median]),
    });
    series.push({
      name: `${mode}: ideal (N × one replica)`,
      type: 'line',
      lineStyle: { type: 'dashed' },
      symbol: 'none',
      data: variants.map((v) => [v.woodyReplicas, one * v.woodyReplicas]),
    });
  }
  if (series.length === 0) return undefined;
  return svg({
    title: { text: 'Heavy throughput vs replicas', left: 'center' },
    legend: { bottom: 0 },
    grid: { bottom: 70 },
    xAxis: { type: 'value', name: 'replicas', min: 1, max: maxReplicas, minInterval: 1 },
    yAxis: { type: 'value', name: 'req/s' },
    series,
  });
}

export function latencyPercentiles(result: ScenarioResult): string {
  const names = result.variants.map((v) => v.name);
  return svg({
    title: { text: `${result.scenario}: latency percentiles (median of repeats)`, left: 'center' },
    legend: { bottom: 0 },
    grid: { bottom: 70 },
    tooltip: {},
    xAxis: { type: 'category', data: names },
    yAxis: { type: 'log', name: 'ms', min: 0.1 },
    series: (['p50', 'p95', 'p99'] as const).map((p) => ({
      name: p,
      type: 'bar' as const,
      data: result.variants.map((v) => Math.max(0.1, latency(v, p).median)),
    })),
  });
}

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

export function cacheComparison(cache: ScenarioResult): string {
  return svg({
    title: { text: 'Cache off, cold and warm', left: 'center' },
    legend: { bottom: 0 },
    grid: { bottom: 70 },
    xAxis: { type: 'category', data: cache.variants.map((v) => v.name) },
    yAxis: [
      { type: 'value', name: 'req/s' },
      { type: 'log', name: 'p50 ms', min: 0.1 },
    ],
    series: [
      { name: 'req/s (median)', type: 'bar', data: cache.variants.map((v) => throughput(v).median) },
      {
        name: 'p50 latency (ms)',
        type: 'line',
        yAxisIndex: 1,
        data: cache.variants.map((v) => Math.max(0.1, latency(v, 'p50').median)),
      },
    ],
  });
}

export function offloadComparison(offload: ScenarioResult): string {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const loads = (v: ScenarioResult['variants'][number]) => v.repeats.map((r) => r.offload!).filter(Boolean);
  return svg({
    title: { text: 'Static offload: origin vs cdn tier (per page load)', left: 'center' },
    legend: { bottom: 0 },
    grid: { bottom: 70 },
    xAxis: { type: 'category', data: offload.variants.map((v) => v.name) },
    yAxis: [
      { type: 'value', name: 'page load (s)' },
      { type: 'value', name: 'origin MB' },
    ],
    series: [
      {
        name: 'page-load time (s)',
        type: 'bar',
        data: offload.variants.map((v) => median(loads(v).map((o) => o.pageLoadMs)) / 1000),
      },
      {
        name: 'bytes served by the origin (MB)',
        type: 'bar',
        yAxisIndex: 1,
        data: offload.variants.map((v) => median(loads(v).map((o) => o.originBytes)) / 1e6),
      },
    ],
  });
}
