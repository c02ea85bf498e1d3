// The front image's response headers (apps/front/nginx.conf.template), rendered by the image's real
// entrypoint and served by the real nginx binary: the Content-Security-Policy, nosniff and Referrer-Policy on
// every answer, errors included (nginx drops a level's add_header lines where a location has its own, and
// sends them on errors only with `always`), and each path's Cache-Control. The browser test
// (apps/front/test/browser.test.ts) runs the page under this policy in Chromium.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNginxImage, type LocalNginxImage } from '@scale-lab/local-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'scale-lab-front-headers-'));
// When the tests run as root, nginx's workers run as nobody: they must be able to read the site.
chmodSync(work, 0o755);
const site = join(work, 'site');
const ASSET = 'assets/big-image.0123456789ab.png';
const CDN = 'http://cdn.example:8081';

/** The front image's nginx-entrypoint.sh and template on this machine, with the image's own variables. */
async function startFront(name: string, port: number, cdnBaseUrl: string): Promise<LocalNginxImage> {
  return startNginxImage({
    name,
    entrypoint: join(root, 'infra/docker/nginx-entrypoint.sh'),
    template: join(root, 'apps/front/nginx.conf.template'),
    variables: {
      FRONT_PORT: String(port),
      FRONT_ROOT: site,
      CDN_BASE_URL: cdnBaseUrl,
      STATIC_RATE_LIMIT: '0',
      RUN_EVENTS_URL: 'http://127.0.0.1:8098',
    },
    upstreams: {},
    ports: [port],
    runDir: join(work, name),
    logFile: join(work, `${name}.log`),
  });
}

let front: LocalNginxImage | undefined;
let port = 0;

beforeAll(async () => {
  mkdirSync(join(site, 'assets'), { recursive: true });
  writeFileSync(join(site, 'index.html'), `<html><img src="__CDN_BASE_URL__/${ASSET}"></html>\n`);
  writeFileSync(join(site, ASSET), Buffer.alloc(1024, 7));
  port = await freePort();
  front = await startFront('front', port, CDN);
}, 30_000);

afterAll(async () => {
  await front?.stop();
  rmSync(work, { recursive: true, force: true });
});

const get = async (path: string) => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.arrayBuffer();
  return response;
};
const policy = (response: Response) => response.headers.get('content-security-policy') ?? '';

describe('the front’s response headers', () => {
  it('sends the security headers on every answer, errors included', async () => {
    for (const [path, status] of [
      ['/', 200],
      ['/index.html', 200],
      [`/${ASSET}`, 200],
      ['/healthz', 200],
      ['/no-such-page', 404],
      ['/assets/no-such-file.png', 404],
    ] as const) {
      const response = await get(path);
      expect(response.status, path).toBe(status);
      expect(policy(response), path).toMatch(
        /^default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'( \S+)?; connect-src 'self'( \S+){0,2}; object-src 'none'; /,
      );
      expect(policy(response), path).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('same-origin');
    }
  });

  it('lets the page take images from the CDN base URL, anywhere under it', async () => {
    expect(policy(await get('/'))).toContain(`img-src 'self' ${CDN}/;`);
  });

  it('lets the dashboard fetch from the CDN origin and follow the run feed, nothing else', async () => {
    expect(policy(await get('/'))).toContain(`connect-src 'self' ${CDN} http://127.0.0.1:8098;`);
  });

  it('keeps each path its Cache-Control: the page revalidated, hashed assets forever', async () => {
    expect((await get('/')).headers.get('cache-control')).toBe('no-cache');
    expect((await get(`/${ASSET}`)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('renders a valid config without a CDN base URL: images from the site only', async () => {
    const withoutCdn = await startFront('front-no-cdn', await freePort(), '');
    try {
      const conf = readFileSync(join(work, 'front-no-cdn', 'nginx.conf'), 'utf8');
      expect(conf).toMatch(/map "" \$cdn_image_source \{\s*"" "";/);
      expect(conf).toContain("img-src 'self'$cdn_image_source;");
    } finally {
      await withoutCdn.stop();
    }
  });
});
