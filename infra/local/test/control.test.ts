import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from '@scale-lab/local-services';
import { showLogOnFailure } from '@scale-lab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlServer, startLocalStack, type ControlServer, type LocalStack } from '../src/index.js';

const ctlJs = fileURLToPath(new URL('../dist/ctl.js', import.meta.url));

interface Answer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

async function call(url: string, method = 'GET', body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(90_000),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** True when Redis answers +PONG to a raw PING within `timeoutMs` (a frozen one does not). */
function redisPongs(redisUrl: string, timeoutMs: number): Promise<boolean> {
  const { hostname, port } = new URL(redisUrl);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** The built ctl, as `./scale-lab ctl` runs it; bounded, never rejects. */
function ctl(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [ctlJs, ...args],
      { timeout: 90_000, env: { PATH: process.env.PATH, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function bigImage(page: string): string {
  return /src="([^"]*big-image\.[0-9a-f]+\.png)"/.exec(page)![1]!;
}

describe('control API of a running local stack', () => {
  let stack: LocalStack;
  let control: ControlServer;

  beforeAll(async () => {
    stack = await startLocalStack({
      woodyReplicas: 2,
      movieReplicas: 1,
      sitePort: await freePort(),
      moviePort: await freePort(),
      cdnPort: await freePort(),
      staticRateLimit: '0', // the cdn fetches the 5 MB image from the origin: no need to wait 17 s for it
    });
    showLogOnFailure(stack.logDir);
    control = await startControlServer(stack, { port: 0 });
  }, 120_000);

  afterAll(async () => {
    await control?.close();
    await stack?.stop();
  }, 60_000);

  it('answers /health and lists every replica with its process', async () => {
    expect((await call(`${control.url}/health`)).status).toBe(200);
    const { status, body } = await call(`${control.url}/replicas`);
    expect(status).toBe(200);
    const expected = [...stack.replicas('woody-api'), ...stack.replicas('movie-api')].map(
      ({ service, instanceId, url, pid }) => ({ service, instanceId, url, pid }),
    );
    expect(body.replicas).toEqual(expected);
    expect((body.replicas as { instanceId: string }[]).map((r) => r.instanceId)).toEqual([
      'woody-1',
      'woody-2',
      'movie-1',
    ]);
  });

  it('scales woody-api 2 → 3 and the new replica answers through the proxy', async () => {
    const { status, body } = await call(`${control.url}/scale`, 'POST', {
      service: 'woody-api',
      replicas: 3,
    });
    expect(status).toBe(200);
    expect(body.service).toBe('woody-api');
    expect((body.replicas as { instanceId: string }[]).map((r) => r.instanceId)).toEqual([
      'woody-1',
      'woody-2',
      'woody-3',
    ]);
    expect(body.seconds).toBeGreaterThan(0);
    // Answered after the proxy's reload: round robin reaches the new one within a few requests, no waiting.
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const response = await fetch(`${stack.siteUrl}/api/ping`);
      seen.add(response.headers.get('x-instance')!);
    }
    expect(seen).toContain('woody-3');
  }, 90_000);

  it('kills a replica: its pid changes and it answers again', async () => {
    const victim = stack.replicas('woody-api')[0]!;
    const { status, body } = await call(`${control.url}/kill`, 'POST', { instance: victim.instanceId });
    expect(status).toBe(200);
    expect(body).toEqual({ instance: victim.instanceId, pid: victim.pid });
    await expect
      .poll(
        async () => {
          const now = stack.replicas('woody-api').find((r) => r.instanceId === victim.instanceId)!;
          if (now.pid === victim.pid) return 'not restarted yet';
          const response = await fetch(`${now.url}/ping`).catch(() => undefined);
          return response?.headers.get('x-instance') ?? 'not answering yet';
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBe(victim.instanceId);
  }, 90_000);

  it('freezes Redis for 1 s: no PING meanwhile, answers after the thaw, a second freeze meanwhile is 409', async () => {
    expect(await redisPongs(stack.redisUrl, 2000)).toBe(true);
    const started = performance.now();
    const freeze = call(`${control.url}/freeze`, 'POST', { dependency: 'redis', seconds: 1 });
    await expect.poll(() => redisPongs(stack.redisUrl, 200), { timeout: 5000, interval: 20 }).toBe(false);
    const second = await call(`${control.url}/freeze`, 'POST', { dependency: 'mariadb', seconds: 1 });
    expect(second.status).toBe(409);
    expect(second.body.message).toMatch(/redis is frozen already/);
    const { status, body } = await freeze;
    expect(status).toBe(200);
    expect(body).toEqual({ dependency: 'redis', seconds: 1 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(await redisPongs(stack.redisUrl, 2000)).toBe(true);
  }, 30_000);

  it("moves the page's big image to the cdn and back to the site", async () => {
    const toCdn = await call(`${control.url}/assets`, 'POST', { assets: 'cdn' });
    expect(toCdn).toMatchObject({ status: 200, body: { assets: 'cdn', baseUrl: stack.cdnUrl } });
    const onCdn = bigImage(await (await fetch(`${stack.siteUrl}/`)).text());
    expect(onCdn.startsWith(`${stack.cdnUrl}/assets/`)).toBe(true);
    expect((await fetch(onCdn, { method: 'HEAD' })).status).toBe(200);

    const toOrigin = await call(`${control.url}/assets`, 'POST', { assets: 'origin' });
    expect(toOrigin).toMatchObject({ status: 200, body: { assets: 'origin', baseUrl: '' } });
    expect(bigImage(await (await fetch(`${stack.siteUrl}/`)).text()).startsWith('/assets/')).toBe(true);
  }, 60_000);

  it('refuses bad bodies with 400 JSON errors and an unknown instance with 404 naming the known ones', async () => {
    const bad: [string, unknown][] = [
      ['/scale', { service: 'woody-api', replicas: 17 }],
      ['/scale', { service: 'woody-api', replicas: 0 }],
      ['/scale', { service: 'woody-api', replicas: '3' }],
      ['/scale', { service: 'front', replicas: 2 }],
      ['/kill', {}],
      ['/freeze', { dependency: 'redis', seconds: 61 }],
      ['/freeze', { dependency: 'nginx', seconds: 1 }],
      ['/assets', { assets: 's3' }],
    ];
    for (const [path, body] of bad) {
      const answer = await call(`${control.url}${path}`, 'POST', body);
      expect(answer.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(answer.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(answer.body.message).toEqual(expect.any(String));
    }
    const unknown = await call(`${control.url}/kill`, 'POST', { instance: 'woody-99' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect(unknown.body.message).toBe(
      'no replica woody-99; known instances: woody-1, woody-2, woody-3, movie-1',
    );
  });

  describe('./scale-lab ctl (the built dist/ctl.js)', () => {
    beforeAll(() => {
      if (!existsSync(ctlJs)) throw new Error(`${ctlJs} is missing: build first (nx run local-stack:build)`);
    });

    it('lists the replicas and scales through the control API', async () => {
      const listed = await ctl(['replicas', '--control', control.url]);
      expect(listed.code, listed.stderr).toBe(0);
      for (const replica of stack.replicas('woody-api'))
        expect(listed.stdout).toMatch(
          new RegExp(`woody-api\\s+${replica.instanceId}\\s+${replica.url}\\s+${replica.pid}`),
        );

      const scaled = await ctl(['scale', 'woody-api', '2'], { SCALE_LAB_CONTROL_URL: control.url });
      expect(scaled.code, scaled.stderr).toBe(0);
      expect(scaled.stdout).toMatch(/^woody-api: 2 replicas, all served through the proxy, in \d+\.\d s$/m);
      expect(stack.replicas('woody-api')).toHaveLength(2);
    }, 90_000);

    it('says in one line when an instance is unknown (exit 1) or an argument is wrong (exit 2)', async () => {
      const unknown = await ctl(['kill', 'woody-99', '--control', control.url]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr.trim()).toBe(
        'scale-lab ctl: no replica woody-99; known instances: woody-1, woody-2, movie-1',
      );
      const bad = await ctl(['scale', 'woody-api', 'many', '--control', control.url]);
      expect(bad.code).toBe(2);
      expect(bad.stderr.split('\n')[0]).toBe(
        'scale-lab ctl: the number of replicas must be a whole number from 1 to 16 (got many)',
      );
      expect(bad.stderr).toContain('usage: ./scale-lab ctl');
    });

    it('says that no stack answers when none is up', async () => {
      const nobody = `http://127.0.0.1:${await freePort()}`;
      const answer = await ctl(['replicas', '--control', nobody]);
      expect(answer.code).toBe(1);
      expect(answer.stderr.trim()).toBe(
        `scale-lab ctl: no local stack answers on ${nobody}: start one with ./scale-lab up`,
      );
    });
  });
});
