import { Parser } from 'htmlparser2';
import { fail, pass, type Check } from '../check.js';
import { call, describeOutcome, ok, seconds, type Answer } from '../http.js';
import { sheet } from '../sheet-names.js';

const BIG_IMAGE = /\/assets\/big-image\.[^/]+\.png$/;
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
      const data = {
        image,
        bytes: measured.bytes,
        warm: { xCache: warm.cache, ms: warm.ms },
        measured: { xCache: measured.cache, ms: measured.ms },
      };
      // A MISS on the warm-up is the cdn filling from the origin: the origin's own time for the image, at
      // its rate limit. (A sample of the first bytes would not show it: nginx may send those unthrottled.)
      const fromOrigin =
        warm.cache === 'MISS' ? ` (the origin's time for it)` : ' (the cdn was warm already)';
      const speedUp =
        warm.cache === 'MISS' && measured.ms > 0 ? `, ${Math.round(warm.ms / measured.ms)}× faster` : '';
      const evidence = `${megabytes(measured.bytes)} from ${imageUrl.origin}: warm-up ${warm.cache ?? '-'} ${seconds(warm.ms)}${fromOrigin}, then X-Cache ${measured.cache ?? 'absent'} in ${seconds(measured.ms)}${speedUp}`;
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
