import { Parser } from 'htmlparser2';
import { fail, pass, type Check, type CheckContext } from '../check.js';
import { call, describeOutcome, ok, seconds, type Answer } from '../http.js';
import { sheet } from '../sheet-names.js';

const BIG_IMAGE = /\/assets\/big-image\.[^/]+\.png$/;
/** The first bytes of the image from the origin: enough to see its rate limit, not 20 s of it. */
const ORIGIN_SAMPLE_BYTES = 256 * 1024;
/** The cdn's first fill crosses the origin's rate limit (≈ 20 s at 300k for 6 MB). */
const FILL_TIMEOUT_MS = 120_000;

/** The big image's URL as the page names it (its img src), resolved against the page. */
export function bigImageUrl(html: string, pageUrl: string): string | undefined {
  let found: string | undefined;
  const parser = new Parser({
    onopentag(name, attributes) {
      const src = attributes.src;
      if (found === undefined && name === 'img' && src && BIG_IMAGE.test(new URL(src, pageUrl).pathname)) {
        found = new URL(src, pageUrl).href;
      }
    },
  });
  parser.write(html);
  parser.end();
  return found;
}

/** How fast the origin serves the image: a Range request of its first bytes, timed. */
async function originRate(context: CheckContext, imagePath: string) {
  const sample = await call(`${context.site}${imagePath}`, {
    headers: { range: `bytes=0-${ORIGIN_SAMPLE_BYTES - 1}` },
  });
  return ok(sample) && sample.bytes > 0 ? { bytesPerSecond: sample.bytes / (sample.ms / 1000) } : undefined;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function cdnCheck(): Check {
  return {
    id: 'cdn',
    name: 'big image through the cdn',
    timeoutMs: 2 * FILL_TIMEOUT_MS + 30_000,
    async run(context) {
      const page = await call(`${context.site}/`);
      if (!ok(page))
        return fail(`the page ${context.site}/: ${describeOutcome(page)}`, 'the front and the proxy');
      const image = bigImageUrl(page.body, `${context.site}/`);
      if (!image) {
        return fail('the page names no big image (img src …/assets/big-image.<hash>.png)', 'the front image');
      }
      const imageUrl = new URL(image);
      if (imageUrl.origin === new URL(context.site).origin) {
        return fail(
          `no CDN base URL: the page serves its 6 MB image from the rate-limited origin (${imageUrl.pathname})`,
          `the front's CDN_BASE_URL (./scale-lab ctl assets cdn, or the deployment's setting) (${sheet(context.lab)})`,
          { image },
        );
      }
      context.progress(`warming the cdn: ${image} once (its first fill crosses the origin's rate limit)`);
      const warm = await call(image, { timeoutMs: FILL_TIMEOUT_MS });
      if (!ok(warm))
        return fail(`through the cdn: ${describeOutcome(warm)}`, `the cdn tier at ${imageUrl.origin}`);
      const measured = (await call(image, { timeoutMs: FILL_TIMEOUT_MS })) as Answer;
      if (!ok(measured)) {
        return fail(`through the cdn: ${describeOutcome(measured)}`, `the cdn tier at ${imageUrl.origin}`);
      }
      const rate = await originRate(context, imageUrl.pathname);
      const originEstimateMs = rate ? (measured.bytes / rate.bytesPerSecond) * 1000 : undefined;
      const data = {
        image,
        bytes: measured.bytes,
        warm: { xCache: warm.cache, ms: warm.ms },
        measured: { xCache: measured.cache, ms: measured.ms },
        originBytesPerSecond: rate?.bytesPerSecond,
        originEstimateMs,
      };
      const origin = originEstimateMs
        ? `; the origin serves ${Math.round(rate!.bytesPerSecond / 1000)} kB/s (≈ ${seconds(originEstimateMs)} for it)`
        : '';
      const evidence = `${megabytes(measured.bytes)} from ${imageUrl.origin}: warm-up ${warm.cache ?? '-'} ${seconds(warm.ms)}, then X-Cache ${measured.cache ?? 'absent'} in ${seconds(measured.ms)}${origin}`;
      if (measured.cache !== 'HIT') {
        return fail(
          evidence,
          `the cdn tier's cache (proxy_cache, and the origin's Cache-Control on /assets/): a second fetch ` +
            `must not reach the origin (${sheet(context.lab)})`,
          data,
        );
      }
      return pass(evidence, data);
    },
  };
}
