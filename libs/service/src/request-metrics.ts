// Buckets from 1 ms to 30 s: the heavy route sleeps seconds, cached hits take a millisecond.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const REQUESTS_HELP = 'HTTP requests answered, by route template and status';
const DURATION_HELP = 'HTTP request latency, by route template and status';

interface Series {
  /** prom-client's order: the series' own labels first on the counter, the shared first on the histogram. */
  counterLabels: string;
  histogramLabels: string;
  count: number;
  sum: number;
  /** Requests per bucket, not cumulative; the last entry is +Inf. */
  perBucket: number[];
}

/** Prometheus' text format escapes backslashes, double quotes and newlines in label values. */
const escapeLabelValue = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const formatLabels = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
    .join(',');

/**
 * http_requests_total and http_request_duration_seconds, by method, route template and status. A request
 * costs one Map lookup and a few additions; the Prometheus text is written only when /metrics is scraped.
 * (prom-client's inc() and observe() check and hash the label set on every call, about 0.5 µs a request: in
 * the profile of /api/misc/time, the largest of the costs Scale Lab adds to Fastify's own.)
 */
export class RequestMetrics {
  private readonly series = new Map<string, Series>();
  /** Labels on every series (service, instance), as a registry's default labels. */
  private readonly sharedLabels: string;

  constructor(defaultLabels: Record<string, string> = {}) {
    this.sharedLabels = formatLabels(defaultLabels);
  }

  record(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${statusCode} ${route}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.newSeries(method, route, statusCode);
      this.series.set(key, series);
    }
    series.count += 1;
    series.sum += seconds;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket += 1;
    series.perBucket[bucket]! += 1;
  }

  /** Both metrics in Prometheus' text exposition format (version 0.0.4), as prom-client writes them. */
  render(): string {
    const all = [...this.series.values()];
    const lines = [`# HELP http_requests_total ${REQUESTS_HELP}`, '# TYPE http_requests_total counter'];
    for (const { counterLabels, count } of all) lines.push(`http_requests_total{${counterLabels}} ${count}`);

    const name = 'http_request_duration_seconds';
    lines.push('', `# HELP ${name} ${DURATION_HELP}`, `# TYPE ${name} histogram`);
    for (const { histogramLabels: labels, count, sum, perBucket } of all) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((bound, index) => {
        cumulative += perBucket[index]!;
        lines.push(`${name}_bucket{le="${bound}",${labels}} ${cumulative}`);
      });
      lines.push(
        `${name}_bucket{le="+Inf",${labels}} ${count}`,
        `${name}_sum{${labels}} ${sum}`,
        `${name}_count{${labels}} ${count}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }

  private newSeries(method: string, route: string, statusCode: number): Series {
    const own = formatLabels({ method, route, status_code: String(statusCode) });
    return {
      counterLabels: this.sharedLabels ? `${own},${this.sharedLabels}` : own,
      histogramLabels: this.sharedLabels ? `${this.sharedLabels},${own}` : own,
      count: 0,
      sum: 0,
      perBucket: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0),
    };
  }
}
