import { readdirSync, readFileSync } from 'node:fs';
import { createServer, get as httpGet } from 'node:http';
import { freePort } from '@scale-lab/local-services';
import { showLogOnFailure } from '@scale-lab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../src/index.js';

const HEAVY_MS = 500;

async function get(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/**
 * One GET on a new connection. nginx closes idle keep-alive connections when it reloads, and a client
 * that reuses one at that instant must resend (RFC 9112 §9.3.1; browsers do it by themselves). Fresh
 * connections keep that client-side race out, so the load below tests the proxy's routing only.
 */
function getOnNewConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    httpGet(url, { agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', (error) => resolve({ status: 0, body: error.message }));
  });
}

/** `count` requests sent at the same instant; resolves when all have answered. */
async function concurrent(count: number, url: (i: number) => string) {
  const started = performance.now();
  const responses = await Promise.all(Array.from({ length: count }, (_, i) => get(url(i))));
  return { elapsedMs: performance.now() - started, responses };
}

/** This process's children with INSTANCE_ID=`instanceId` in their environment: that replica's processes. */
function processesOf(instanceId: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const parent = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        const zombie = /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
        const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        return !zombie && Number(parent) === process.pid && env.includes(`INSTANCE_ID=${instanceId}`);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

describe('local stack end to end: 3 woody replicas behind the real nginx', () => {
  let stack: LocalStack;
  let api: string;
  const logged: string[] = [];
  let onLog: ((line: string) => void) | undefined;

  beforeAll(async () => {
    stack = await startLocalStack({
      woodyReplicas: 3,
      movieReplicas: 2,
      sitePort: await freePort(),
      moviePort: await freePort(),
      woodyEnv: {
        HEAVY_MODE: 'sleep',
        HEAVY_MS: String(HEAVY_MS),
        HEAVY_CONCURRENCY: '1',
        DB_SLOW_MS: '200',
      },
      log: (line) => {
        logged.push(line);
        onLog?.(line);
      },
    });
    api = `${stack.siteUrl}/api`;
    showLogOnFailure(stack.logDir);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('spreads requests over all 3 replicas, naming each in X-Instance and X-Upstream', async () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 12; i++) {
      const { headers } = await get(`${api}/ping`);
      seen.set(headers.get('x-instance')!, headers.get('x-upstream')!);
    }
    expect([...seen.keys()].sort()).toEqual(['woody-1', 'woody-2', 'woody-3']);
    const ports = stack.replicas('woody-api').map((replica) => `127.0.0.1:${replica.port}`);
    expect([...seen.values()].sort()).toEqual(ports.sort());
  });

  it('finishes 6 concurrent heavy requests clearly faster on 3 replicas than on 1', async () => {
    const onThree = await concurrent(6, (i) => `${api}/misc/heavy?name=three-${i}`);
    await stack.scale('woody-api', 1);
    const onOne = await concurrent(6, (i) => `${api}/misc/heavy?name=one-${i}`);
    await stack.scale('woody-api', 3);

    for (const { status } of [...onThree.responses, ...onOne.responses]) expect(status).toBe(200);
    expect(new Set(onOne.responses.map((r) => r.headers.get('x-instance'))).size).toBe(1);
    // Expected ≈ 2 × HEAVY_MS on 3 replicas and ≈ 6 × HEAVY_MS on 1: demand at least a 2× difference.
    expect(onOne.elapsedMs).toBeGreaterThanOrEqual(6 * HEAVY_MS * 0.95);
    expect(onThree.elapsedMs * 2).toBeLessThan(onOne.elapsedMs);
  }, 60_000);

  it('runs the heavy work once for 100 concurrent cold requests spread over 4 replicas (cache stampede)', async () => {
    await stack.scale('woody-api', 4);
    const producerRuns = async () => {
      let total = 0;
      for (const replica of stack.replicas('woody-api')) {
        const metrics = await (await fetch(`${replica.url}/metrics`)).text();
        for (const match of metrics.matchAll(/^cache_producer_runs_total\{name="heavy"[^}]*\} (\d+)$/gm))
          total += Number(match[1]);
      }
      return total;
    };
    const before = await producerRuns();
    const { responses } = await concurrent(100, () => `${api}/misc/heavy?name=stampede`);
    expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200));
    expect(new Set(responses.map((response) => response.headers.get('x-instance'))).size).toBe(4);
    expect(new Set(responses.map((response) => response.body)).size).toBe(1);
    expect((await producerRuns()) - before).toBe(1);
    await stack.scale('woody-api', 3);
  }, 60_000);

  it('shows a product added through one replica when read through another', async () => {
    const created = await fetch(`${api}/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Shared toy' }),
    });
    expect(created.status).toBe(201);
    const writer = created.headers.get('x-instance');
    const { id } = (await created.json()) as { id: number };
    const readers = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const read = await get(`${api}/products/${id}`);
      expect(read.status).toBe(200);
      expect(JSON.parse(read.body).name).toBe('Shared toy');
      readers.add(read.headers.get('x-instance')!);
    }
    expect([...readers].filter((reader) => reader !== writer).length).toBeGreaterThan(0);
  });

  it('answers bad input with 400 JSON errors through the proxy', async () => {
    for (const url of [
      `${api}/misc/heavy?name=`,
      `${api}/misc/heavy?name=${'x'.repeat(101)}`,
      `${api}/products/abc`,
    ]) {
      const response = await get(url);
      expect(response.status, url).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(response.body)).toMatchObject({ statusCode: 400 });
    }
    const post = await fetch(`${api}/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '' }),
    });
    expect(post.status).toBe(400);
  });

  it('stores an SQL injection attempt as plain text', async () => {
    const name = "x'); DROP TABLE product; --";
    const added = await get(`${api}/products?product=${encodeURIComponent(name)}`);
    expect(added.status).toBe(200);
    expect(added.body).toBe(`Product ${name} added (id ${/id (\d+)/.exec(added.body)![1]})`);
    const id = Number(/id (\d+)/.exec(added.body)![1]);
    expect(JSON.parse((await get(`${api}/products/${id}`)).body).name).toBe(name);
    const last = await get(`${api}/products/last`);
    expect(last.body).toMatch(/products, the last one is/);
  });

  it('serves the tutorial URL on the movie load balancer, spread over both movie replicas', async () => {
    const instances = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await get(`${stack.movieUrl}/moviesbytitle?title=The%20Good%20Dinosaur`);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ title: 'The Good Dinosaur', director: 'Peter Sohn' });
      instances.add(response.headers.get('x-instance')!);
    }
    expect([...instances].sort()).toEqual(['movie-1', 'movie-2']);
  });

  it('serves the front with every asset, and the big image rate-limited', async () => {
    const page = await get(`${stack.siteUrl}/`);
    expect(page.status).toBe(200);
    const image = /src="([^"]*big-image\.[0-9a-f]+\.png)"/.exec(page.body)![1]!;
    expect(image.startsWith('/assets/')).toBe(true);
    const head = await fetch(`${stack.siteUrl}${image}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(head.headers.get('cache-control')).toContain('immutable');
    for (const asset of ['/app.js', '/style.css'])
      expect((await get(`${stack.siteUrl}${asset}`)).status).toBe(200);
  });

  it('scales to 5 replicas that all get traffic, then back to 2 with zero failed requests under load', async () => {
    await stack.scale('woody-api', 5);
    const seen = new Set<string>();
    for (let i = 0; i < 25; i++) seen.add((await get(`${api}/ping`)).headers.get('x-instance')!);
    expect(seen.size).toBe(5);

    let running = true;
    const failures: string[] = [];
    let requests = 0;
    const load = (async () => {
      while (running) {
        const response = await getOnNewConnection(`${api}/misc/time`);
        requests++;
        if (response.status !== 200) failures.push(`${response.status} ${response.body}`);
      }
    })();
    await stack.scale('woody-api', 2);
    running = false;
    await load;
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(20);
    const remaining = new Set<string>();
    for (let i = 0; i < 8; i++) remaining.add((await get(`${api}/ping`)).headers.get('x-instance')!);
    expect(remaining).toEqual(new Set(stack.replicas('woody-api').map((replica) => replica.instanceId)));
    expect(remaining.size).toBe(2);
  }, 90_000);

  /** Polls until the replica `instanceId` runs a process other than `oldPid` that answers as that replica. */
  async function restarted(instanceId: string, oldPid: number) {
    await expect
      .poll(
        async () => {
          const now = stack.replicas('woody-api').find((replica) => replica.instanceId === instanceId);
          if (!now || now.pid === oldPid) return 'not restarted yet';
          const response = await fetch(`${now.url}/ping`).catch(() => undefined);
          return response?.headers.get('x-instance') ?? 'not answering yet';
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBe(instanceId);
    return stack.replicas('woody-api').find((replica) => replica.instanceId === instanceId)!;
  }

  /** Polls the proxy until a response comes from `address` (a restarted replica nginx had marked failed). */
  async function routedTo(address: string) {
    await expect
      .poll(async () => (await get(`${api}/ping`)).headers.get('x-upstream'), {
        timeout: 60_000,
        interval: 50,
      })
      .toBe(address);
  }

  it('restarts a SIGKILLed replica with the same instance id and port, the proxy answering meanwhile', async () => {
    const victim = stack.replicas('woody-api')[0]!;
    process.kill(victim.pid, 'SIGKILL');
    // Down or already back: nginx finds the connection refused and tries the other replica.
    for (let i = 0; i < 10; i++) {
      const response = await getOnNewConnection(`${api}/ping`);
      expect(response.status, response.body).toBe(200);
    }
    const back = await restarted(victim.instanceId, victim.pid);
    expect(back.port).toBe(victim.port);
    expect(logged).toContain(`${victim.instanceId} exited with signal SIGKILL; restarting in 500 ms`);
    await routedTo(`127.0.0.1:${back.port}`);
  }, 120_000);

  it('restarts a replica on another port when its own was taken meanwhile; the proxy follows', async () => {
    const victim = stack.replicas('woody-api')[1]!;
    let squatted = 0;
    const squatter = createServer((_request, response) => {
      squatted++;
      response.end('not a replica');
    });
    // The port is free once the replica has exited, which the stack says before it waits to restart.
    onLog = (line) => {
      if (line.startsWith(`${victim.instanceId} exited`)) squatter.listen(victim.port, '127.0.0.1');
    };
    try {
      process.kill(victim.pid, 'SIGKILL');
      const back = await restarted(victim.instanceId, victim.pid);
      expect(squatter.listening).toBe(true);
      expect(back.port).not.toBe(victim.port);
      expect(logged).toContain(
        `${victim.instanceId}: port ${victim.port} is taken; restarting on port ${back.port}`,
      );
      await routedTo(`127.0.0.1:${back.port}`);
      await stack.scale('woody-api', 2); // queued behind the proxy's update: the lists are current now
      const before = squatted;
      for (let i = 0; i < 10; i++) expect((await get(`${api}/ping`)).status).toBe(200);
      expect(squatted).toBe(before);
    } finally {
      onLog = undefined;
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 120_000);

  it('does not restart the replicas scale() stops', async () => {
    await stack.scale('woody-api', 4);
    const before = stack.replicas('woody-api');
    const linesBefore = logged.length;
    await stack.scale('woody-api', 1);
    const retired = before.filter(
      (replica) => !stack.replicas('woody-api').some((kept) => kept.instanceId === replica.instanceId),
    );
    expect(retired).toHaveLength(3);
    // scale() returns once the replicas' supervision has ended: a restart could not come later.
    const since = logged.slice(linesBefore);
    for (const replica of retired) {
      expect(since).toContain(`stopping ${replica.instanceId}`);
      expect(since.filter((line) => line.startsWith(`${replica.instanceId} exited`))).toEqual([]);
      expect(processesOf(replica.instanceId)).toEqual([]);
    }
    expect(processesOf(stack.replicas('woody-api')[0]!.instanceId)).toHaveLength(1);
  }, 120_000);
});
