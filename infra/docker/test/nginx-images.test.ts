// The nginx images' configuration, run as the images run it: the real entrypoint and upstream watcher
// (infra/docker) rendering the real templates (apps/proxy, apps/cdn, apps/front), served by the real nginx
// binary (Debian's 1.22 here, the oldest nginx the images must run on), in front of real HTTP servers.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findBinary, freePort, isListening } from '@scale-lab/local-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const scripts = join(root, 'infra/docker');
const nginxDir = dirname(findBinary(['nginx'], 'nginx'));
const work = mkdtempSync(join(tmpdir(), 'scale-lab-nginx-images-'));
// When the tests run as root, nginx's workers run as nobody: they must be able to read the site.
chmodSync(work, 0o755);
const ASSET = 'assets/big-image.0123456789ab.png';
const ASSET_BYTES = 800 * 1024;

interface RunningImage {
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Runs nginx-entrypoint.sh as the image's ENTRYPOINT would, with RUN_DIR in a temporary directory. */
function runImage(
  name: string,
  template: string,
  env: Record<string, string>,
): ChildProcess & { logs: () => string } {
  // nginx logs to /dev/stdout and /dev/stderr as in a container; those cannot be reopened on the socket
  // pairs Node gives a child, so the child writes into a file instead.
  const logFile = join(work, `${name}.log`);
  const log = openSync(logFile, 'w');
  const child = spawn('sh', [join(scripts, 'nginx-entrypoint.sh')], {
    env: {
      ...process.env,
      PATH: `${scripts}:${nginxDir}:${process.env.PATH}`,
      RUN_DIR: join(work, name),
      NGINX_TEMPLATE: join(root, template),
      ...env,
    },
    // Its own process group: the watcher runs beside nginx, and both must go when the test ends.
    detached: true,
    stdio: ['ignore', log, log],
  }) as ChildProcess & { logs: () => string };
  closeSync(log);
  child.logs = () => readFileSync(logFile, 'utf8');
  return child;
}

async function startImage(
  name: string,
  template: string,
  port: number,
  env: Record<string, string>,
): Promise<RunningImage> {
  const child = runImage(name, template, env);
  const deadline = Date.now() + 10_000;
  while (!(await isListening(port))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${name} did not start (exit ${child.exitCode}):\n${child.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    process: child,
    output: child.logs,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        killGroup(child.pid!, 'SIGQUIT'); // nginx's graceful stop; the watcher, a background job, ignores it
        const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      // Whatever is left in its group: the watcher ends by itself within RESOLVE_INTERVAL, but not later.
      killGroup(child.pid!, 'SIGKILL');
    },
  };
}

function killGroup(leader: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-leader, signal);
  } catch {
    // nothing left in the group
  }
}

/** The processes of a process group, by pid, with their command lines. */
function groupMembers(group: number): { pid: number; command: string }[] {
  const members = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      // pid (comm) state ppid pgrp …: comm may hold spaces, so count from its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) !== group || state === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      members.push({ pid: Number(entry), command });
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

/** Running, as opposed to gone or a zombie nobody has reaped yet. */
function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** A stand-in replica: answers with what it received, and says who it is. */
function replica(instance: string): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(request.url!);
    response.setHeader('x-instance', instance);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ instance, url: request.url }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port, paths }),
    ),
  );
}

let woody: Awaited<ReturnType<typeof replica>>;
let movie: Awaited<ReturnType<typeof replica>>;
let front: RunningImage;
let proxy: RunningImage;
let cdn: RunningImage;
const ports = { front: 0, site: 0, movie: 0, cdn: 0 };

beforeAll(async () => {
  [woody, movie] = await Promise.all([replica('woody-1'), replica('movie-1')]);
  for (const key of Object.keys(ports) as (keyof typeof ports)[]) ports[key] = await freePort();
  const site = join(work, 'site');
  mkdirSync(join(site, 'assets'), { recursive: true });
  writeFileSync(join(site, 'index.html'), `<html><img src="__CDN_BASE_URL__/${ASSET}"></html>\n`);
  writeFileSync(join(site, ASSET), Buffer.alloc(ASSET_BYTES, 7));

  front = await startImage('front', 'apps/front/nginx.conf.template', ports.front, {
    TEMPLATE_VARS: 'FRONT_PORT FRONT_ROOT CDN_BASE_URL STATIC_RATE_LIMIT RUN_EVENTS_URL',
    RUN_EVENTS_URL: 'http://127.0.0.1:8098',
    FRONT_PORT: String(ports.front),
    FRONT_ROOT: site,
    CDN_BASE_URL: 'http://cdn.example:8081',
    STATIC_RATE_LIMIT: '200k',
  });
  proxy = await startImage('proxy', 'apps/proxy/nginx.conf.template', ports.site, {
    TEMPLATE_VARS: 'SITE_PORT MOVIE_PORT',
    SITE_PORT: String(ports.site),
    MOVIE_PORT: String(ports.movie),
    UPSTREAMS: `woody_api=127.0.0.1:${woody.port} movie_api=127.0.0.1:${movie.port} front=127.0.0.1:${ports.front}`,
  });
  cdn = await startImage('cdn', 'apps/cdn/nginx.conf.template', ports.cdn, {
    TEMPLATE_VARS: 'CDN_PORT CDN_CACHE_DIR CDN_CACHE_SIZE',
    CDN_PORT: String(ports.cdn),
    CDN_CACHE_DIR: join(work, 'cdn-cache'),
    CDN_CACHE_SIZE: '100m',
    UPSTREAMS: `origin=127.0.0.1:${ports.front}`,
  });
}, 30_000);

afterAll(async () => {
  await Promise.all([front, proxy, cdn].filter(Boolean).map((image) => image.stop()));
  await Promise.all(
    [woody, movie].filter(Boolean).map(({ server }) => new Promise((resolve) => server.close(resolve))),
  );
  rmSync(work, { recursive: true, force: true });
});

const get = (port: number, path: string) => fetch(`http://127.0.0.1:${port}${path}`);

describe('proxy', () => {
  it('sends /api/ to woody-api and names the replica in X-Upstream', async () => {
    const response = await get(ports.site, '/api/misc/heavy?name=x');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ instance: 'woody-1', url: '/api/misc/heavy?name=x' });
    expect(response.headers.get('x-upstream')).toBe(`127.0.0.1:${woody.port}`);
  });

  it('serves the movie service on its own port, unchanged paths, and under /movie-api/ on the site', async () => {
    const direct = await get(ports.movie, '/moviesbytitle?title=The%20Good%20Dinosaur');
    expect(await direct.json()).toMatchObject({
      instance: 'movie-1',
      url: '/moviesbytitle?title=The%20Good%20Dinosaur',
    });
    expect(direct.headers.get('x-upstream')).toBe(`127.0.0.1:${movie.port}`);
    const prefixed = await get(ports.site, '/movie-api/json');
    expect(await prefixed.json()).toMatchObject({ instance: 'movie-1', url: '/json' });
  });

  it('serves the front through the proxy with the CDN base URL filled in', async () => {
    const response = await get(ports.site, '/');
    expect(await response.text()).toContain(`<img src="http://cdn.example:8081/${ASSET}">`);
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });

  it('passes on the front’s rate limit on static files (200k here)', async () => {
    const started = performance.now();
    const body = await (await get(ports.site, `/${ASSET}`)).arrayBuffer();
    const seconds = (performance.now() - started) / 1000;
    expect(body.byteLength).toBe(ASSET_BYTES);
    // 800 KiB at 200 KiB/s cannot arrive in much under 3 s (nginx lets the first burst through).
    expect(seconds).toBeGreaterThan(2);
  });

  it('keeps its stats endpoint to loopback, and answers its health check', async () => {
    expect(await (await get(ports.site, '/nginx_status')).text()).toMatch(/Active connections: \d+/);
    expect((await get(ports.site, '/healthz')).status).toBe(200);
  });
});

describe('cdn', () => {
  it('fetches an immutable asset from the origin once, then serves it from its cache', async () => {
    const first = await get(ports.cdn, `/${ASSET}`);
    await first.arrayBuffer();
    const second = await get(ports.cdn, `/${ASSET}`);
    expect((await second.arrayBuffer()).byteLength).toBe(ASSET_BYTES);
    expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual(['MISS', 'HIT']);
    expect(second.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the origin's access log line
    const originRequests = front
      .output()
      .split('\n')
      .filter((line) => line.includes(`GET /${ASSET}`));
    // One for the proxy's rate-limit test above, one for the cdn's first fetch (at the origin's rate
    // too); none for the HIT.
    expect(originRequests).toHaveLength(2);
  });
});

describe('entrypoint and watcher', () => {
  it('starts with an unresolvable replica name and answers 502 until one appears', async () => {
    const port = await freePort();
    const image = await startImage('proxy-empty', 'apps/proxy/nginx.conf.template', port, {
      TEMPLATE_VARS: 'SITE_PORT MOVIE_PORT',
      SITE_PORT: String(port),
      MOVIE_PORT: String(await freePort()),
      UPSTREAMS: `woody_api=no-such-replica.invalid:3000 movie_api=127.0.0.1:${movie.port} front=127.0.0.1:${ports.front}`,
    });
    try {
      expect((await get(port, '/api/ping')).status).toBe(502);
      expect((await get(port, '/movie-api/json')).status).toBe(200);
    } finally {
      await image.stop();
    }
  });

  it('ends the upstream watcher once nginx is gone, whoever stopped nginx', async () => {
    const port = await freePort();
    const image = await startImage('proxy-watched', 'apps/proxy/nginx.conf.template', port, {
      TEMPLATE_VARS: 'SITE_PORT MOVIE_PORT',
      SITE_PORT: String(port),
      MOVIE_PORT: String(await freePort()),
      UPSTREAMS: `woody_api=127.0.0.1:${woody.port} movie_api=127.0.0.1:${movie.port} front=127.0.0.1:${ports.front}`,
    });
    try {
      const nginx = image.process.pid!;
      const watchers = groupMembers(nginx).filter(({ command }) => command.includes('watch-upstreams.sh'));
      expect(watchers).toHaveLength(1);
      // nginx alone, as a supervisor that knows nothing of the watcher would stop it.
      const exited = new Promise((resolve) => image.process.once('exit', resolve));
      process.kill(nginx, 'SIGQUIT');
      await exited;
      await expect.poll(() => isRunning(watchers[0]!.pid), { timeout: 30_000, interval: 100 }).toBe(false);
    } finally {
      await image.stop();
    }
  }, 60_000);

  it('refuses a value that would break the config, naming the variable', async () => {
    const child = runImage('front-bad', 'apps/front/nginx.conf.template', {
      TEMPLATE_VARS: 'FRONT_PORT FRONT_ROOT CDN_BASE_URL STATIC_RATE_LIMIT RUN_EVENTS_URL',
      RUN_EVENTS_URL: 'http://127.0.0.1:8098',
      FRONT_PORT: '1',
      FRONT_ROOT: '/nowhere',
      CDN_BASE_URL: '',
      STATIC_RATE_LIMIT: '300k; return 200',
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(64);
    expect(child.logs()).toContain("STATIC_RATE_LIMIT='300k; return 200' is not a valid value");
  });
});
