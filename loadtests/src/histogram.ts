import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from './schema.js';

/** Latencies in an HDR histogram (microsecond resolution up to 10 minutes): percentiles, not averages. */
export class LatencyHistogram {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const at = (p: number) => this.histogram.getValueAtPercentile(p) / 1000;
    return {
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      max: this.histogram.maxValue / 1000,
      mean: this.histogram.mean / 1000,
    };
  }
}
