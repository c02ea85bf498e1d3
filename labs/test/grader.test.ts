import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNginx } from '@scale-lab/local-services';
import {
  startControlServer,
  startLocalStack,
  type ControlServer,
  type LocalStack,
} from '@scale-lab/local-stack';
import { showLogOnFailure, spawnService } from '@scale-lab/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isThisMachine } from '../src/faults.js';
import type { LabReport } from '../src/run.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** Short heavy work and slow query: the same shape as the sheets' stack, in less time. */
const WOODY_ENV = { HEAVY_MS: '400', DB_SLOW_MS: '200' };

/** The grader from source, as `./scale-lab check` runs it: its exit code and everything it printed. */
async function grade(args: string[]) {
  const child = spawnService(cli, {}, { args: ['check', ...args], processGroup: true });
  onTestFinished(() => child.kill());
  const code = await child.exited;
  return { code, output: child.output() };
}

/** The result line of one check, e.g. "PASS  replicas behind the proxy — …". */
function line(output: string, name: string): string {
  return (
    output.split('\n').find((text) => /^(PASS|FAIL|SKIP) {2}/.test(text) && text.includes(`  ${name} — `)) ??
    ''
  );
}

describe('./scale-lab check: bad input', () => {
  it('exits 2 with one line on an unknown lab, a bad URL or a missing --lab', async () => {
    const unknown = await grade(['--lab', '9']);
    expect(unknown.code).toBe(2);
    expect(unknown.output.trim()).toBe(
      'scale-lab check: unknown lab 9: the labs are 1, 2, 3, 4, 5 (see ./scale-lab check --help)',
    );
    const badUrl = await grade(['--lab', '2', '--site', 'localhost:8080']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.output).toContain('--site must be an http(s) URL (got localhost:8080)');
    const noLab = await grade([]);
    expect(noLab.code).toBe(2);
    expect(noLab.output).toContain('--lab is required');
    const badReplicas = await grade(['--lab', '2', '--replicas', 'three']);
    expect(badReplicas.code).toBe(2);
    expect(badReplicas.output).toContain('--replicas must be an integer from 1 to 64 (got three)');
  });

  it('exits 2 when nothing answers at the site', async () => {
    const site = `http://127.0.0.1:${await freePort()}`;
    const result = await grade(['--lab', '3', '--site', site]);
    expect(result.code).toBe(2);
    expect(result.output.trim()).toBe(
      `scale-lab check: nothing answers at ${site}: is the stack up? (./scale-lab up)`,
    );
  });
});

describe('faults only against this machine', () => {
  it("knows loopback and this machine's own addresses from another host", async () => {
    const own = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry && !entry.internal && entry.family === 'IPv4');
    expect(await isThisMachine('http://127.0.0.1:8080')).toBe(true);
    expect(await isThisMachine('http://localhost:8080')).toBe(true);
    if (own) expect(await isThisMachine(`http://${own.address}:8080`)).toBe(true);
    // TEST-NET-1 (RFC 5737): never an address of this machine.
    expect(await isThisMachine('http://192.0.2.1:8080')).toBe(false);
  });
});

describe('./scale-lab check against the local stack', () => {
  let stack: LocalStack;
  let control: ControlServer;
  let site: string[];
  let dir: string;

  /** Every woody replica ready again (after a kill, its supervisor restarts it). */
  async function allReady() {
    await expect
      .poll(
        async () => {
          const states = await Promise.all(
            stack.replicas('woody-api').map((replica) =>
              fetch(`${replica.url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
                (response) => response.ok,
                () => false,
              ),
            ),
          );
          return states.every(Boolean);
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true);
  }

  /**
   * The proxy spreads over every woody replica again: after a kill it sets the replica aside for its
   * fail_timeout (5 s), and a fairness check run meanwhile rightly sees one replica idle.
   */
  async function proxySpreadsEvenly() {
    await allReady();
    await expect
      .poll(
        async () => {
          const answers = await Promise.all(
            Array.from({ length: 30 }, () =>
              fetch(`${stack.siteUrl}/api/ping`, { signal: AbortSignal.timeout(5000) }).then(
                (response) => response.headers.get('x-instance'),
                () => null,
              ),
            ),
          );
          return stack
            .replicas('woody-api')
            .every((replica) => answers.filter((instance) => instance === replica.instanceId).length >= 4);
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
  }

  const scaleCommand = (replicas: number) =>
    `curl -fsS -X POST -H 'content-type: application/json' ` +
    `-d '{"service":"woody-api","replicas":${replicas}}' ${control.url}/scale`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scale-lab-labs-test-'));
    stack = await startLocalStack({
      woodyReplicas: 3,
      movieReplicas: 2,
      sitePort: await freePort(),
      moviePort: await freePort(),
      cdnPort: await freePort(),
      woodyEnv: WOODY_ENV,
      // The cdn's first fill crosses the origin's limit: 6 MB at 2 MB/s instead of 20 s at the lab's 300k.
      staticRateLimit: '2m',
    });
    showLogOnFailure(stack.logDir);
    control = await startControlServer(stack, { port: 0 });
    site = ['--site', stack.siteUrl, '--movie', stack.movieUrl, '--control', control.url];
  }, 120_000);

  afterAll(async () => {
    await control?.close();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('passes lab 1: movie replicas, a movie written through one read through another, trivial service skipped', async () => {
    const { code, output } = await grade(['--lab', '1', ...site]);
    expect(line(output, 'movie replicas behind the load balancer')).toMatch(
      /^PASS .* 2 distinct X-Instance over 60 concurrent requests \(\d+\/\d+, max\/min [\d.]+\)$/,
    );
    expect(line(output, 'written through one replica, read through another')).toMatch(
      /^PASS .* written through movie-\d, read back through movie-\d/,
    );
    expect(line(output, 'moviesbytitle speed-up')).toMatch(
      /^SKIP .*one request takes [\d.]+ ms: a trivial service/,
    );
    expect(output).toContain('lab 1: 2 passed, 0 failed, 1 skipped');
    expect(code).toBe(0);
    // What it wrote, it removed.
    const movies = (await (await fetch(`${stack.movieUrl}/json`)).json()) as { id: string }[];
    expect(movies.filter((movie) => movie.id.startsWith('check-'))).toEqual([]);
  }, 60_000);

  it('passes lab 1 speed-up once each movie request costs 20 ms (MOVIE_WORK_MS)', async () => {
    await stack.scale('movie-api', 2, { MOVIE_WORK_MS: '20' });
    try {
      const { code, output } = await grade(['--lab', '1', ...site]);
      expect(line(output, 'moviesbytitle speed-up')).toMatch(
        /^PASS .*moviesbytitle × \d+ concurrent: [\d.]+ s, [\d.]+× one replica's time per request \(one alone: 2\d ms, 2 replica/,
      );
      expect(output).toContain('lab 1: 3 passed, 0 failed, 0 skipped');
      expect(code).toBe(0);
    } finally {
      await stack.scale('movie-api', 2, {});
    }
  }, 60_000);

  it('fails lab 3 without a CDN base URL, then passes it all with one, writing --json', async () => {
    const before = await grade(['--lab', '3', ...site]);
    expect(line(before.output, 'big image through the cdn')).toBe(
      'FAIL  big image through the cdn — no CDN base URL: the page serves its 6 MB image from the rate-limited ' +
        `origin (${/\/assets\/big-image\.\w+\.png/.exec(before.output)![0]})`,
    );
    expect(before.output).toMatch(/big image through the cdn — .*\n {6}look at: the front's CDN_BASE_URL/);
    expect(before.output).toContain('lab 3: 5 passed, 1 failed, 0 skipped');
    expect(before.code).toBe(1);

    await stack.setCdnBaseUrl(stack.cdnUrl!);
    const json = join(dir, 'lab3.json');
    const after = await grade(['--lab', '3', ...site, '--json', json]);
    expect(line(after.output, 'heavy speed-up')).toMatch(
      /^PASS .*heavy × \d+ concurrent: [\d.]+ s, [\d.]+× one replica's/,
    );
    expect(line(after.output, 'cache: MISS then HIT, one entry per name')).toMatch(
      /^PASS .*first MISS in .*, second HIT in .*, another name MISS in/,
    );
    expect(line(after.output, 'stale cache entries never served after a write')).toMatch(
      /^PASS .* 6\/6 reads after it/,
    );
    expect(line(after.output, 'big image through the cdn')).toMatch(
      /^PASS .*warm-up MISS [\d.]+ s \(the origin's time for it\), then X-Cache HIT in [\d.]+ s, \d+× faster/,
    );
    expect(after.code).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as LabReport;
    expect(report).toMatchObject({ lab: 3, site: stack.siteUrl, passed: 6, failed: 0, skipped: 0 });
    expect(report.checks.map((check) => [check.id, check.status])).toEqual([
      ['woody-api-replicas', 'PASS'],
      ['woody-api-speedup', 'PASS'],
      ['product-write-read', 'PASS'],
      ['cache-hit', 'PASS'],
      ['cache-invalidation', 'PASS'],
      ['cdn', 'PASS'],
    ]);
    const cdn = report.checks.find((check) => check.id === 'cdn')!.data as {
      bytes: number;
      measured: { ms: number };
    };
    expect(cdn.bytes).toBeGreaterThan(1_000_000);
  }, 120_000);

  it('passes labs 2 and 5 with --allow-faults, killing a replica through the control API', async () => {
    const pids = () => stack.replicas('woody-api').map((replica) => `${replica.instanceId}:${replica.pid}`);
    const before = pids();
    const lab2 = await grade(['--lab', '2', ...site, '--allow-faults']);
    expect(line(lab2.output, 'least connections')).toMatch(
      /^PASS .*3 concurrent heavy requests on 3 distinct X-Instance/,
    );
    expect(line(lab2.output, 'requests survive a replica kill')).toMatch(
      /^PASS .*woody-\d killed with 6 heavy requests in flight: 6\/6 answered 2xx, (\d+)\/\1 time requests 2xx$/,
    );
    expect(lab2.code).toBe(0);
    // It did kill the replica it names: that one runs a new process now (restarted by its supervisor).
    const victim = /(woody-\d+) killed/.exec(lab2.output)![1]!;
    await proxySpreadsEvenly();
    expect(pids().filter((pid) => !before.includes(pid))).toEqual([
      expect.stringMatching(new RegExp(`^${victim}:`)),
    ]);

    const lab5 = await grade(['--lab', '5', ...site, '--allow-faults']);
    expect(line(lab5.output, 'requests survive a replica kill')).toMatch(/^PASS /);
    expect(line(lab5.output, 'answers while Redis hangs')).toMatch(
      /^PASS .*Redis frozen 2 s: (\d+)\/\1 time requests 2xx/,
    );
    expect(lab5.output).toContain('lab 5: 3 passed, 0 failed, 0 skipped');
    expect(lab5.code).toBe(0);
    await proxySpreadsEvenly();
  }, 120_000);

  it('skips faults without --allow-faults', async () => {
    const { code, output } = await grade(['--lab', '5', ...site]);
    expect(line(output, 'requests survive a replica kill')).toMatch(/^SKIP .*needs --allow-faults/);
    expect(code).toBe(0);
  }, 60_000);

  it('fails lab 2 on one replica where the lab wants three', async () => {
    await stack.scale('woody-api', 1);
    try {
      const { code, output } = await grade(['--lab', '2', ...site]);
      expect(line(output, 'replicas behind the proxy')).toMatch(
        /^FAIL .*1 distinct X-Instance, the lab wants 3 — /,
      );
      expect(output).toMatch(/replicas behind the proxy — .*\n {6}look at: the number of woody-api replicas/);
      expect(line(output, 'heavy speed-up')).toMatch(/^FAIL .*the lab wants ≥ 1.5×$/);
      expect(code).toBe(1);
    } finally {
      await stack.scale('woody-api', 3);
    }
  }, 90_000);

  it('fails the cache checks with the cache off', async () => {
    await stack.scale('woody-api', 3, { ...WOODY_ENV, CACHE_ENABLED: 'false' });
    try {
      const { code, output } = await grade(['--lab', '3', ...site]);
      expect(line(output, 'cache: MISS then HIT, one entry per name')).toMatch(
        /^FAIL .*first BYPASS in .*, second BYPASS in .*: the lab wants MISS then HIT$/,
      );
      expect(line(output, 'stale cache entries never served after a write')).toMatch(
        /^FAIL .*not cached, nothing to invalidate$/,
      );
      expect(code).toBe(1);
    } finally {
      await stack.scale('woody-api', 3, WOODY_ENV);
    }
  }, 90_000);

  it('passes lab 4: a new replica serves within 10 s of the scale command, no request failed', async () => {
    const { code, output } = await grade(['--lab', '4', ...site, '--scale', scaleCommand(4)]);
    expect(line(output, 'scaling without a proxy reload')).toMatch(
      /^PASS .*woody-\d+ served (already while the command ran|[\d.]+ s after the command returned) \(the command took [\d.]+ s\); (\d+)\/\2 requests 2xx during and after$/,
    );
    expect(code).toBe(0);
    expect(stack.replicas('woody-api')).toHaveLength(4);
  }, 120_000);

  it('skips what needs X-Instance behind a proxy that hides it, and fails lab 4 behind a static upstream list', async () => {
    const [port, hiding] = [await freePort(), await freePort()];
    const servers = stack.replicas('woody-api').map((replica) => `server 127.0.0.1:${replica.port};`);
    // The lab-4 proxy: an upstream list written once at start; and one like it that drops X-Instance.
    const nginx = await startNginx({
      ports: [port, hiding],
      http: `
        upstream woody { ${servers.join(' ')} }
        server {
          listen 127.0.0.1:${port};
          location /api/ { proxy_pass http://woody; }
          location / { return 200 "static upstreams\\n"; }
        }
        server {
          listen 127.0.0.1:${hiding};
          location /api/ { proxy_pass http://woody; proxy_hide_header X-Instance; }
          location / { return 200 "no X-Instance\\n"; }
        }`,
    });
    try {
      const anonymous = await grade(['--lab', '4', '--site', `http://127.0.0.1:${hiding}`]);
      expect(line(anonymous.output, 'replicas behind the proxy')).toBe(
        'SKIP  replicas behind the proxy — no X-Instance header: this check needs a stack that names the replica that answered',
      );
      expect(anonymous.code).toBe(0);

      const { code, output } = await grade([
        '--lab',
        '4',
        '--site',
        `http://127.0.0.1:${port}`,
        '--control',
        control.url,
        '--scale',
        scaleCommand(5),
      ]);
      expect(line(output, 'scaling without a proxy reload')).toMatch(
        /^FAIL .*no new X-Instance within 10\.0 s after the command returned/,
      );
      expect(output).toMatch(
        /\n {6}look at: a proxy with a static upstream list only sees new replicas after a reload/,
      );
      expect(code).toBe(1);
      expect(stack.replicas('woody-api')).toHaveLength(5);
    } finally {
      await nginx.stop();
    }
  }, 120_000);
});
