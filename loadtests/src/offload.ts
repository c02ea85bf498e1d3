import { setTimeout as sleep } from 'node:timers/promises';
import { loadPageLikeABrowser } from './browser-fetch.js';
import type { OriginCounter } from './origin-log.js';
import type { RepeatResult } from './schema.js';
import { Tally } from './tally.js';

/** One page load like a browser with an empty cache, and what the origin served for it. */
export async function measurePageLoad(pageUrl: string, countOrigin: OriginCounter): Promise<RepeatResult> {
  const servedSince = await countOrigin();
  const startCpu = process.cpuUsage();
  const load = await loadPageLikeABrowser(pageUrl);
  // nginx writes the log line when the response is done; give it a moment to reach the log.
  await sleep(200);
  const origin = await servedSince();
  // Each asset is an endpoint of its own: the page, the script, the stylesheet, the big image.
  const tally = new Tally();
  for (const asset of load.assets)
    tally.answered(
      `GET ${new URL(asset.url).pathname}`,
      asset.status,
      { cache: asset.cache || undefined },
      asset.ms,
    );
  const used = process.cpuUsage(startCpu);
  return {
    ...tally.result(load.totalMs / 1000),
    perInstance: {},
    requestsPerSecond: load.assets.length / (load.totalMs / 1000),
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
