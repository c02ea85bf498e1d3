// The front image's response headers (apps/front/nginx.conf.template), rendered by the image's real
// entrypoint and served by the real nginx binary: the Content-Security-Policy, nosniff and Referrer-Policy on
// every answer, errors included (nginx drops a level's add_header lines where a location has its own, and
// sends them on errors only with `always`), and each path's Cache-Control. The browser test
// (apps/front/test/browser.test.ts) runs the page under this policy in Chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findBinary, freePort, isListening } from '@scale-lab/local-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const scripts = join(root, 'infra/docker');
const nginxDir = dirname(findBinary(['nginx'], 'nginx'));
const work = mkdtempSync(join(tmpdir(), 'scale-lab-front-headers-'));
// When the tests run as root, nginx's workers run as nobody: they must be able to read the site.
chmodSync(work, 0o755);
const site = join(work, 'site');
const ASSET = 'assets/big-image.0123456789ab.png';
const CDN = 'http://cdn.example:8081';

/** nginx-entrypoint.sh as the front image runs it, RUN_DIR in a temporary directory; logs in a file. */
function runFront(name: string, env: Record<string, string>, args: string[] = []) {
  const logFile = join(work, `${name}.log`);
  const log = openSync(logFile, 'w');
  const child = spawn('sh', [join(scripts, 'nginx-entrypoint.sh'), ...args], {
    env: {
      ...process.env,
      PATH: `${scripts}:${nginxDir}:${process.env.PATH}`,
      RUN_DIR: join(work, name),
      NGINX_TEMPLATE: join(root, 'apps/front/nginx.conf.template'),
      // The front image's own variables (apps/front/Dockerfile).
      TEMPLATE_VARS: 'FRONT_PORT FRONT_ROOT CDN_BASE_URL STATIC_RATE_LIMIT',
      FRONT_ROOT: site,
      STATIC_RATE_LIMIT: '0',
      ...env,
    },
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  return Object.assign(child, { logs: () => readFileSync(logFile, 'utf8') });
}

let front: ChildProcess & { logs: () => string };
let port = 0;

beforeAll(async () => {
  mkdirSync(join(site, 'assets'), { recursive: true });
  writeFileSync(join(site, 'index.html'), `<html><img src="__CDN_BASE_URL__/${ASSET}"></html>\n`);
  writeFileSync(join(site, ASSET), Buffer.alloc(1024, 7));
  port = await freePort();
  front = runFront('front', { FRONT_PORT: String(port), CDN_BASE_URL: CDN });
  const deadline = Date.now() + 10_000;
  while (!(await isListening(port))) {
    if (front.exitCode !== null || Date.now() > deadline)
      throw new Error(`front did not start (exit ${front.exitCode}):\n${front.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 30_000);

afterAll(async () => {
  if (front && front.exitCode === null) {
    const exited = new Promise((resolve) => front.once('exit', resolve));
    process.kill(-front.pid!, 'SIGQUIT');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
    if (front.exitCode === null) process.kill(-front.pid!, 'SIGKILL');
  }
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
        /^default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'( \S+)?; connect-src 'self'; object-src 'none'; /,
      );
      expect(policy(response), path).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('same-origin');
    }
  });

  it('lets the page take images from the CDN base URL, anywhere under it', async () => {
    expect(policy(await get('/'))).toContain(`img-src 'self' ${CDN}/;`);
  });

  it('keeps each path its Cache-Control: the page revalidated, hashed assets forever', async () => {
    expect((await get('/')).headers.get('cache-control')).toBe('no-cache');
    expect((await get(`/${ASSET}`)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('renders a valid config without a CDN base URL: images from the site only', async () => {
    const check = runFront('front-no-cdn', { FRONT_PORT: String(await freePort()), CDN_BASE_URL: '' }, [
      '--check',
    ]);
    const code = await new Promise((resolve) => check.once('exit', resolve));
    expect(code, check.logs()).toBe(0);
    const conf = readFileSync(join(work, 'front-no-cdn', 'nginx.conf'), 'utf8');
    expect(conf).toMatch(/map "" \$cdn_image_source \{\s*"" "";/);
    expect(conf).toContain("img-src 'self'$cdn_image_source;");
  });
});
