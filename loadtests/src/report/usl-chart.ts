import type * as echarts from 'echarts';
import { uslThroughput, type UslFit, type UslPoint } from '../usl.js';
import { svg } from './charts.js';

export interface UslCurve {
  /** e.g. the heavy mode: "sleep", "cpu" */
  group: string;
  points: readonly UslPoint[];
  fit: UslFit | undefined;
}

/** ECharts' default palette, so a group's measured points, fit and ideal line share one colour. */
const PALETTE = [
  '#5470c6',
  '#91cc75',
  '#fac858',
  '#ee6666',
  '#73c0de',
  '#3ba272',
  '#fc8452',
  '#9a60b4',
  '#ea7ccc',
];
/** Samples per fitted curve: enough for a smooth line in 720 px. */
const SAMPLES = 120;

const round = (value: number) => Number(value.toPrecision(3));

/**
 * One chart for all groups: measured medians as dots, the USL fit as a line, and the ideal λN
 * dashed. The fit runs past the last measurement (to 1.5 × the largest N, or to the peak when it
 * is within 2 ×), because the point of fitting is to see where the curve is heading. The gap
 * between dashed and solid is what σ and κ cost. Groups without a fit show their dots only.
 * Returns undefined when no curve has a fit.
 */
export function uslChart(curves: readonly UslCurve[]): string | undefined {
  if (!curves.some((c) => c.fit)) return undefined;
  const series: echarts.SeriesOption[] = [];
  let xMax = 1;
  curves.forEach(({ group, points, fit }, index) => {
    const color = PALETTE[index % PALETTE.length]!;
    const measured = points.filter((p) => Number.isFinite(p.replicas) && Number.isFinite(p.throughput));
    const maxN = Math.max(1, ...measured.map((p) => p.replicas));
    series.push({
      name: `${group}: measured`,
      type: 'scatter',
      itemStyle: { color },
      symbolSize: 9,
      data: measured.map((p) => [p.replicas, p.throughput]),
    });
    if (!fit) {
      xMax = Math.max(xMax, maxN);
      return;
    }
    let end = maxN * 1.5;
    if (Number.isFinite(fit.peakReplicas) && fit.peakReplicas <= 2 * maxN)
      end = Math.max(end, fit.peakReplicas);
    xMax = Math.max(xMax, end);
    const xs = Array.from({ length: SAMPLES + 1 }, (_, i) => 1 + ((end - 1) * i) / SAMPLES);
    series.push({
      name: `${group}: USL fit (σ=${round(fit.sigma)}, κ=${round(fit.kappa)}${fit.kappaFitted ? '' : ', Amdahl'})`,
      type: 'line',
      smooth: true,
      symbol: 'none',
      lineStyle: { color, width: 2 },
      itemStyle: { color },
      data: xs.map((n) => [n, uslThroughput(fit, n)]),
    });
    series.push({
      name: `${group}: ideal (λN)`,
      type: 'line',
      symbol: 'none',
      lineStyle: { color, type: 'dashed', width: 1 },
      itemStyle: { color },
      data: [
        [1, fit.lambda],
        [end, fit.lambda * end],
      ],
    });
  });
  return svg({
    title: { text: 'Throughput vs replicas: measured, ideal and the USL fit', left: 'center' },
    legend: { bottom: 0 },
    grid: { bottom: 90 },
    xAxis: { type: 'value', name: 'replicas', min: 1, max: Math.ceil(xMax), minInterval: 1 },
    yAxis: { type: 'value', name: 'req/s' },
    series,
  });
}
