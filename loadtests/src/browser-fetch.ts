import { Parser } from 'htmlparser2';
import { Pool } from 'undici';

export interface AssetLoad {
  url: string;
  status: number;
  bytes: number;
  ms: number;
  /** X-Cache of the answer: HIT/MISS from the cdn tier. */
  cache: string;
}

export interface PageLoad {
  /** Until the last byte of the last asset, as a browser's load event. */
  totalMs: number;
  assets: AssetLoad[];
  bytesByHost: Record<string, number>;
}

/** The URLs a browser would fetch for this page: scripts, stylesheets, images, icons. */
export function assetUrls(html: string, pageUrl: string): string[] {
  const urls: string[] = [];
  const parser = new Parser({
    onopentag(name, attributes) {
      if ((name === 'script' || name === 'img') && attributes.src) urls.push(attributes.src);
      if (name === 'link' && attributes.href && /stylesheet|icon|preload/.test(attributes.rel ?? ''))
        urls.push(attributes.href);
    },
  });
  parser.write(html);
  parser.end();
  return [...new Set(urls.map((url) => new URL(url, pageUrl).toString()))];
}

/**
 * Loads a page like a browser with an empty cache: the HTML, then every asset in parallel over at most
 * six connections per host. (wget -r, which the lab used, skips assets on another host: the "CDN" run
 * never downloaded the image.)
 */
export async function loadPageLikeABrowser(pageUrl: string): Promise<PageLoad> {
  const pools = new Map<string, Pool>();
  const pool = (origin: string) => {
    let found = pools.get(origin);
    if (!found) pools.set(origin, (found = new Pool(origin, { connections: 6 })));
    return found;
  };
  const started = performance.now();
  const fetchOne = async (url: string): Promise<AssetLoad> => {
    const target = new URL(url);
    const sent = performance.now();
    const response = await pool(target.origin).request({
      path: `${target.pathname}${target.search}`,
      method: 'GET',
    });
    let bytes = 0;
    for await (const chunk of response.body) bytes += (chunk as Buffer).length;
    const cache = response.headers['x-cache'];
    return {
      url,
      status: response.statusCode,
      bytes,
      ms: performance.now() - sent,
      cache: (Array.isArray(cache) ? cache[0] : cache) ?? '',
    };
  };
  try {
    const page = await pool(new URL(pageUrl).origin).request({
      path: new URL(pageUrl).pathname,
      method: 'GET',
    });
    const html = await page.body.text();
    const pageLoad: AssetLoad = {
      url: pageUrl,
      status: page.statusCode,
      bytes: Buffer.byteLength(html),
      ms: performance.now() - started,
      cache: '',
    };
    const assets = [pageLoad, ...(await Promise.all(assetUrls(html, pageUrl).map(fetchOne)))];
    const bytesByHost: Record<string, number> = {};
    for (const asset of assets)
      bytesByHost[new URL(asset.url).host] = (bytesByHost[new URL(asset.url).host] ?? 0) + asset.bytes;
    return { totalMs: performance.now() - started, assets, bytesByHost };
  } finally {
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
}
