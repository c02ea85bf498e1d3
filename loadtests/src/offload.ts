import { loadPageLikeABrowser } from './browser-fetch.js';
import { LatencyHistogram } from './histogram.js';
import type { OriginCounter } from './origin-log.js';
import type { RepeatResult } from './schema.js';

/** One page load like a browser with an empty cache, and what the origin served for it. */
export async function measurePageLoad(pageUrl: string, countOrigin: OriginCounter): Promise<RepeatResult> {
  const servedSince = await countOrigin();
  const startCpu = process.cpuUsage();
  const load = await loadPageLikeABrowser(pageUrl);
  // nginx writes the log line when the response is done; give it a moment to reach the log.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const origin = await servedSince();
  const histogram = new LatencyHistogram();
  const perCacheStatus: Record<string, number> = {};
  for (const asset of load.assets) {
    histogram.recordMs(asset.ms);
    const status = asset.cache || 'none';
    perCacheStatus[status] = (perCacheStatus[status] ?? 0) + 1;
  }
  const used = process.cpuUsage(startCpu);
  return {
    requests: load.assets.length,
    non2xx: load.assets.filter((asset) => asset.status < 200 || asset.status > 299).length,
    errors: 0,
    durationSeconds: load.totalMs / 1000,
    requestsPerSecond: load.assets.length / (load.totalMs / 1000),
    latency: histogram.summary(),
    perInstance: {},
    perCacheStatus,
    generatorCpu: (used.user + used.system) / 1000 / load.totalMs,
    offload: {
      pageLoadMs: load.totalMs,
      originRequests: origin.requests,
      originBytes: origin.bytes,
      bigImageFromOrigin: origin.bigImageRequests,
      bytesByHost: load.bytesByHost,
    },
  };
}
