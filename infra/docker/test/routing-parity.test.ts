// One routing behaviour, three proxies: the nginx proxy as the local stack runs it (the image's template
// and entrypoint on 127.0.0.1, infra/local), the proxy image and the HAProxy image in Docker. Each one
// stands in front of the same stand-in replicas (fixtures/stub-replica.mjs) and the real front, and must
// route the same way. The Docker targets need the built images: .ci/containers.sh runs this file with
// SCALE_LAB_PARITY_DOCKER=1 after `nx run-many -t docker-build`.
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort, isListening, ManagedProcess, startNginxImage } from '@scale-lab/local-services';
import { frontImage, proxyImage } from '@scale-lab/local-stack';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const STUB = join(import.meta.dirname, 'fixtures/stub-replica.mjs');
const BIG_IMAGE = '/assets/big-image.ef99ac057fd4.png';
const BIG_IMAGE_BYTES = 6_343_074;
// The front's limit per connection here: the 6 MB image takes about 3 s, an API answer as big far less.
const RATE_LIMIT = '2m';
const DOCKER = process.env.DOCKER ?? '/usr/bin/docker';
const withDocker = process.env.SCALE_LAB_PARITY_DOCKER === '1';

interface Received {
  method: string;
  url: string;
}

/** A stand-in replica's control channel (see the fixture's header). */
class Stub {
  constructor(
    readonly instance: string,
    private readonly controlUrl: string,
  ) {}

  async received(): Promise<Received[]> {
    return (await fetch(`${this.controlUrl}/received`)).json() as Promise<Received[]>;
  }

  async command(path: '/mode/ok' | '/mode/drop' | '/mode/unavailable' | '/close' | '/open'): Promise<void> {
    const response = await fetch(`${this.controlUrl}${path}`, { method: 'POST' });
    if (!response.ok) throw new Error(`${this.instance}: ${path} answered ${response.status}`);
  }

  async isUp(): Promise<boolean> {
    return fetch(`${this.controlUrl}/received`).then(
      (response) => response.ok,
      () => false,
    );
  }
}

interface Target {
  name: string;
  siteUrl: string;
  movieUrl: string;
  woody: [Stub, Stub];
  movie: [Stub, Stub];
  stop(): Promise<void>;
}

async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Ready when both woody replicas, a movie replica and the front answer through the proxy. */
async function waitForRouting(target: Omit<Target, 'stop'>): Promise<void> {
  const seen = new Set<string>();
  await waitFor(`${target.name}: routing to every replica`, async () => {
    const [api, page] = await Promise.all([fetch(`${target.siteUrl}/api/who`), fetch(`${target.siteUrl}/`)]);
    await page.text();
    if (api.ok) seen.add(((await api.json()) as { instance: string }).instance);
    const movie = await fetch(`${target.movieUrl}/who`);
    await movie.text();
    return page.ok && movie.ok && target.woody.every((stub) => seen.has(stub.instance));
  });
}

async function localNginxTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'scale-lab-parity-'));
  const processes: ManagedProcess[] = [];
  const startStub = async (instance: string) => {
    const [port, controlPort] = [await freePort(), await freePort()];
    const stub = new ManagedProcess({
      name: instance,
      command: process.execPath,
      args: [STUB, instance, '127.0.0.1', String(port), String(controlPort)],
      logFile: join(dir, `${instance}.log`),
    });
    processes.push(stub);
    stub.start();
    await stub.waitUntil(() => isListening(controlPort), 10_000);
    return { stub: new Stub(instance, `http://127.0.0.1:${controlPort}`), address: `127.0.0.1:${port}` };
  };
  const woody = await Promise.all(['woody-1', 'woody-2'].map(startStub));
  const movie = await Promise.all(['movie-1', 'movie-2'].map(startStub));
  const [frontPort, sitePort, moviePort] = [await freePort(), await freePort(), await freePort()];
  const front = await startNginxImage({
    ...frontImage({ port: frontPort, cdnBaseUrl: '', staticRateLimit: RATE_LIMIT }),
    name: 'front',
    upstreams: {},
    runDir: join(dir, 'front'),
    logFile: join(dir, 'front.log'),
  });
  const proxy = await startNginxImage({
    ...proxyImage({ sitePort, moviePort }),
    name: 'proxy',
    upstreams: {
      woody_api: woody.map((replica) => replica.address),
      movie_api: movie.map((replica) => replica.address),
      front: [`127.0.0.1:${frontPort}`],
    },
    runDir: join(dir, 'proxy'),
    logFile: join(dir, 'proxy.log'),
  });
  const target = {
    name: 'nginx, local stack',
    siteUrl: `http://127.0.0.1:${sitePort}`,
    movieUrl: `http://127.0.0.1:${moviePort}`,
    woody: [woody[0]!.stub, woody[1]!.stub] as [Stub, Stub],
    movie: [movie[0]!.stub, movie[1]!.stub] as [Stub, Stub],
  };
  return {
    ...target,
    async stop() {
      await Promise.allSettled([proxy.stop(), front.stop(), ...processes.map((stub) => stub.stop())]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const docker = async (...args: string[]) => (await run(DOCKER, args, { timeout: 60_000 })).stdout.trim();

const ipOf = (container: string) =>
  docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', container);

/** The image `proxy` (scale-lab/proxy or scale-lab/haproxy) on its own network, as compose runs it. */
async function dockerTarget(name: string, image: string): Promise<Target> {
  const prefix = `scale-lab-parity-${process.pid}-${image.replace(/\W/g, '-')}`;
  const containers: string[] = [];
  const stop = async () => {
    if (containers.length > 0) await docker('rm', '-f', ...containers).catch(() => '');
    await docker('network', 'rm', prefix).catch(() => '');
  };
  try {
    await docker('network', 'create', prefix);
    const runContainer = async (suffix: string, args: string[]) => {
      const container = `${prefix}-${suffix}`;
      containers.push(container);
      await docker('run', '-d', '--name', container, '--network', prefix, ...args);
      return container;
    };
    const startStub = async (instance: string, alias: string, port: number) => {
      const container = await runContainer(instance, [
        '--network-alias',
        alias,
        '--volume',
        `${STUB}:/stub.mjs:ro`,
        '--entrypoint',
        'node',
        'scale-lab/woody-api:latest',
        '/stub.mjs',
        instance,
        '0.0.0.0',
        String(port),
        '9999',
      ]);
      const stub = new Stub(instance, `http://${await ipOf(container)}:9999`);
      await waitFor(`${instance} container`, () => stub.isUp());
      return stub;
    };
    const woody = await Promise.all([
      startStub('woody-1', 'woody-api', 3000),
      startStub('woody-2', 'woody-api', 3000),
    ]);
    const movie = await Promise.all([
      startStub('movie-1', 'movie-api', 3001),
      startStub('movie-2', 'movie-api', 3001),
    ]);
    await runContainer('front', [
      '--network-alias',
      'front',
      '--env',
      `STATIC_RATE_LIMIT=${RATE_LIMIT}`,
      'scale-lab/front:latest',
    ]);
    const proxy = await runContainer('proxy', ['--env', 'RESOLVE_INTERVAL=1', `${image}:latest`]);
    const address = await ipOf(proxy);
    const target = {
      name,
      siteUrl: `http://${address}:8080`,
      movieUrl: `http://${address}:8000`,
      woody: [woody[0]!, woody[1]!] as [Stub, Stub],
      movie: [movie[0]!, movie[1]!] as [Stub, Stub],
    };
    return { ...target, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const targets: { name: string; start: () => Promise<Target> }[] = [
  { name: 'nginx, local stack', start: localNginxTarget },
  ...(withDocker
    ? [
        { name: 'nginx, proxy image', start: () => dockerTarget('nginx, proxy image', 'scale-lab/proxy') },
        { name: 'HAProxy image', start: () => dockerTarget('HAProxy image', 'scale-lab/haproxy') },
      ]
    : []),
];

let nextId = 0;

/**
 * Sends requests one after another, each with its own id, until `stub` has received one; all results.
 * Status 0: the proxy closed the connection without an answer (HAProxy does, where nginx answers 502,
 * when a replica drops a request it may not retry: the client may then decide).
 */
async function sendUntilReceivedBy(stub: Stub, send: (id: string) => Promise<Response>, timeoutMs = 20_000) {
  const results: { id: string; status: number; instance?: string }[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const id = `r${++nextId}`;
    const response = await send(id).catch(() => undefined);
    const body = (await response?.text()) ?? '';
    const instance = response?.ok ? (JSON.parse(body) as { instance: string }).instance : undefined;
    results.push({ id, status: response?.status ?? 0, instance });
    const hits = (await stub.received()).filter((request) => request.url.includes(`id=${id}`));
    if (hits.length > 0) return { results, droppedId: id };
    if (Date.now() > deadline)
      throw new Error(`${stub.instance} received none of ${results.length} requests`);
  }
}

/**
 * A POST announcing a 2 MB body with Expect: 100-continue, the way clients upload large bodies: a proxy
 * that refuses it answers before the body is sent (HAProxy closes at once, so a body already on its way
 * would meet a reset instead of the answer). The body is sent only if the proxy asks for it.
 */
function postTooLarge(url: string): Promise<{ status: number; type: string; body: string }> {
  const bytes = 2 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': bytes, expect: '100-continue' },
        timeout: 10_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'] ?? '', body }),
        );
      },
    );
    request.on('continue', () => request.end(`"${'x'.repeat(bytes - 2)}"`));
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
    request.flushHeaders();
  });
}

/**
 * A GET on a connection of its own. When a replica's pooled connection fails under a request that came on
 * a reused client connection, HAProxy closes that client connection without an answer, so that the client
 * resends (as browsers do); on a fresh one it answers. The error pages are what this checks.
 */
function getOnNewConnection(
  url: string,
): Promise<{ status: number; type: string; server: string; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: response.headers['content-type'] ?? '',
          server: String(response.headers.server ?? ''),
          body,
        }),
      );
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
    request.end();
  });
}

async function timeDownload(url: string): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  const bytes = (await (await fetch(url)).arrayBuffer()).byteLength;
  return { seconds: (performance.now() - started) / 1000, bytes };
}

describe.each(targets)('routing: $name', ({ start }) => {
  let target: Target;

  beforeAll(async () => {
    target = await start();
    await waitForRouting(target);
  }, 120_000);

  afterAll(async () => {
    await target?.stop();
  }, 60_000);

  // Every test starts with every replica well and in the proxy's rotation again (nginx sets a replica
  // that failed aside for its fail_timeout, HAProxy until a health check passes).
  afterEach(async () => {
    for (const stub of [...target.woody, ...target.movie]) {
      await stub.command('/open');
      await stub.command('/mode/ok');
    }
    await waitForRouting(target);
  }, 60_000);

  it('routes by path: /api/ and /movie-api/ to their replicas, the movie port as is, the rest to the front', async () => {
    const api = await fetch(`${target.siteUrl}/api/products?limit=2`);
    expect(await api.json()).toMatchObject({ method: 'GET', url: '/api/products?limit=2' });
    const prefixed = await fetch(`${target.siteUrl}/movie-api/moviesbytitle?title=Up`);
    expect(await prefixed.json()).toMatchObject({
      instance: expect.stringMatching(/^movie-/),
      url: '/moviesbytitle?title=Up',
    });
    const movie = await fetch(`${target.movieUrl}/moviesbytitle?title=Up`);
    expect(await movie.json()).toMatchObject({
      instance: expect.stringMatching(/^movie-/),
      url: '/moviesbytitle?title=Up',
    });
    const page = await fetch(`${target.siteUrl}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain(BIG_IMAGE.slice(1));
  });

  it('names the replica that answered in X-Upstream, one name per replica', async () => {
    const upstreamOf = new Map<string, Set<string>>();
    for (let i = 0; i < 12; i++) {
      const response = await fetch(`${target.siteUrl}/api/who`);
      const { instance } = (await response.json()) as { instance: string };
      const upstream = response.headers.get('x-upstream') ?? '(none)';
      upstreamOf.set(upstream, (upstreamOf.get(upstream) ?? new Set()).add(instance));
    }
    expect(upstreamOf.size).toBe(2);
    for (const instances of upstreamOf.values()) expect(instances.size).toBe(1);
    expect((await fetch(`${target.siteUrl}/`)).headers.get('x-upstream')).toBeTruthy();
  });

  it('retries a GET on another replica when one closes the connection without answering', async () => {
    const [dropping, healthy] = target.woody;
    await dropping.command('/mode/drop');
    const { results, droppedId } = await sendUntilReceivedBy(dropping, (id) =>
      fetch(`${target.siteUrl}/api/who?id=${id}`),
    );
    expect(results.map((result) => result.status)).toEqual(results.map(() => 200));
    expect(results.at(-1)!.instance).toBe(healthy.instance);
    expect((await healthy.received()).some((request) => request.url.includes(`id=${droppedId}`))).toBe(true);
  });

  it('never sends a POST to a second replica once one has received it', async () => {
    const [dropping, healthy] = target.woody;
    await dropping.command('/mode/drop');
    const { results, droppedId } = await sendUntilReceivedBy(dropping, (id) =>
      fetch(`${target.siteUrl}/api/orders?id=${id}`, { method: 'POST', body: '{}' }),
    );
    expect(results.at(-1)!.status === 0 || results.at(-1)!.status >= 500).toBe(true);
    const deliveries = [...(await dropping.received()), ...(await healthy.received())].filter((request) =>
      request.url.includes(`id=${droppedId}`),
    );
    expect(deliveries).toEqual([{ method: 'POST', url: `/api/orders?id=${droppedId}` }]);
  });

  it('retries on another replica when one refuses connections, for any method (nothing was sent)', async () => {
    const [refusing] = target.woody;
    // Back in the proxy's rotation first (nginx sets a failed replica aside for fail_timeout), so that
    // the requests below do try it.
    await sendUntilReceivedBy(refusing, (id) => fetch(`${target.siteUrl}/api/who?id=${id}`));
    await refusing.command('/close');
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const method = i % 2 === 0 ? 'GET' : 'POST';
      const response = await fetch(`${target.siteUrl}/api/who?i=${i}`, {
        method,
        body: method === 'POST' ? '{}' : undefined,
      });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual(statuses.map(() => 200));
  });

  it('passes a replica’s 503 on as an answer, and keeps that replica in service', async () => {
    const [unavailable, other] = target.woody;
    await Promise.all([unavailable.command('/mode/unavailable'), other.command('/mode/unavailable')]);
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${target.siteUrl}/api/who`);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toMatchObject({ instance: expect.stringMatching(/^woody-/) });
    }
    // Their database is back: both answer at once, none was set aside as failed.
    await Promise.all([unavailable.command('/mode/ok'), other.command('/mode/ok')]);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${target.siteUrl}/api/who`);
      expect(response.status).toBe(200);
      seen.add(((await response.json()) as { instance: string }).instance);
    }
    expect(seen).toEqual(new Set([unavailable.instance, other.instance]));
  });

  it('answers the errors it makes itself in the APIs’ JSON shape, and names no version', async () => {
    const tooLarge = await postTooLarge(`${target.siteUrl}/api/orders`);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.type).toMatch(/^application\/json/);
    expect(JSON.parse(tooLarge.body)).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });

    await Promise.all([...target.woody, ...target.movie].map((stub) => stub.command('/close')));
    for (const url of [
      `${target.siteUrl}/api/who`,
      `${target.siteUrl}/movie-api/who`,
      `${target.movieUrl}/who`,
    ]) {
      const response = await getOnNewConnection(url);
      // nginx: 502 (no replica answered); HAProxy: 503 once its checks have set them all aside.
      expect([502, 503]).toContain(response.status);
      expect(response.type).toMatch(/^application\/json/);
      expect(JSON.parse(response.body)).toMatchObject({
        statusCode: response.status,
        error: expect.any(String),
      });
      expect(response.server).not.toMatch(/\d/);
    }
  });

  it('rate limits static files from the front, not API answers of the same size', async () => {
    const image = await timeDownload(`${target.siteUrl}${BIG_IMAGE}`);
    const api = await timeDownload(`${target.siteUrl}/api/big?bytes=${BIG_IMAGE_BYTES}`);
    expect([image.bytes, api.bytes]).toEqual([BIG_IMAGE_BYTES, BIG_IMAGE_BYTES]);
    // 6.3 MB at 2 MiB/s takes 3 s; the buffers between front, proxy and client hide some of it (up to a
    // third seen through HAProxy), never half. Unlimited, the same size is many times faster.
    expect(image.seconds).toBeGreaterThan(1.5);
    expect(image.seconds / api.seconds).toBeGreaterThan(4);
  });
});
