import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@scale-lab/local-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../scenarios/index.js';
import { runFinished, startLiveFeed, type LiveEvent, type LiveFeed } from '../src/live.js';
import { writeReport } from '../src/report/write.js';
import { runScenarios } from '../src/run.js';
import type { ScenarioResult } from '../src/schema.js';

type Received = LiveEvent | { type: 'snapshot'; last: LiveEvent[] };

/** A server-sent-events client on fetch (Node 22 has no EventSource): every event's JSON, and the comments. */
class FeedClient {
  readonly events: Received[] = [];
  readonly comments: string[] = [];
  readonly headers: Promise<Headers>;
  private readonly controller = new AbortController();

  constructor(url: string) {
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(120_000)]);
    const response = fetch(`${url}/events`, { signal });
    this.headers = response.then((r) => r.headers);
    void response.then((r) => this.read(r.body!)).catch(() => undefined);
  }

  private async read(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of body) {
      pending += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        for (const line of block.split('\n')) {
          if (line.startsWith('data: ')) this.events.push(JSON.parse(line.slice(6)) as Received);
          else if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        }
      }
    }
  }

  of<T extends Received['type']>(type: T): Extract<Received, { type: T }>[] {
    return this.events.filter((event): event is Extract<Received, { type: T }> => event.type === type);
  }

  close() {
    this.controller.abort();
  }
}

/** Polls until `check` holds, for at most `ms`. */
async function waitFor(what: string, check: () => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// The smallest real run: one closed repeat of 3 s through nginx to one woody-api replica.
const tiny: Scenario = {
  name: 'live-tiny',
  title: 'A tiny run for the live feed test',
  expectation: 'the feed follows it',
  model: { kind: 'closed', connections: 2, durationSeconds: 3 },
  requests: [{ method: 'GET', path: '/api/misc/time' }],
  warmupSeconds: 0,
  repeats: 1,
  variants: [{ name: 'time through nginx', woodyReplicas: 1, target: 'site' }],
};

describe('the live feed of a real run', () => {
  let feed: LiveFeed;
  let directory: string;
  let early: FeedClient;
  let late: FeedClient;
  let results: ScenarioResult[];
  /** When each second was published (ms). */
  const secondsPublishedAt: number[] = [];
  let statusDuringLoad: Record<string, unknown>;
  let statusCors: string | null;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'scale-lab-live-'));
    feed = await startLiveFeed({ port: await freePort(), log: () => undefined });
    early = new FeedClient(feed.url!);
    await waitFor('the first client', () => feed.clients === 1);
    const run = runScenarios({
      scenarios: [tiny],
      quick: true,
      resultsDir: join(directory, 'results'),
      log: () => undefined,
      publish: (event) => {
        feed.publish(event);
        if (event.type === 'second') secondsPublishedAt.push(performance.now());
      },
    });
    try {
      // A page that opens mid-run, once the load has published its first second.
      await waitFor('a second of load', () => early.of('second').length > 0, 90_000);
      const status = await fetch(`${feed.url}/status`, { signal: AbortSignal.timeout(5000) });
      statusCors = status.headers.get('access-control-allow-origin');
      statusDuringLoad = (await status.json()) as Record<string, unknown>;
      late = new FeedClient(feed.url!);
      await waitFor('the late client', () => late.events.length > 0);
    } finally {
      results = await run;
    }
    const report = await writeReport(results, join(directory, 'report'));
    expect(report.rows.length).toBe(1);
    feed.publish(runFinished(join(directory, 'report', 'report.html')));
    await waitFor('run-finished', () => early.of('run-finished').length === 1);
  }, 180_000);

  afterAll(async () => {
    early?.close();
    late?.close();
    await feed?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('streams run-started, the repeat, its seconds and run-finished in that order, with CORS', async () => {
    expect((await early.headers).get('content-type')).toMatch(/^text\/event-stream/);
    expect((await early.headers).get('access-control-allow-origin')).toBe('*');
    const types = early.events.map((event) => event.type);
    expect(types[0]).toBe('snapshot');
    expect(types.slice(1, 3)).toEqual(['run-started', 'variant']);
    expect(types.at(-1)).toBe('run-finished');
    expect(new Set(types.slice(3, -1))).toEqual(new Set(['second']));
    expect(early.of('run-started')[0]).toEqual({
      type: 'run-started',
      target: 'local',
      quick: true,
      scenarios: ['live-tiny'],
    });
    expect(early.of('variant')[0]).toEqual({
      type: 'variant',
      scenario: 'live-tiny',
      variant: 'time through nginx',
      repeat: 1,
      repeats: 1,
    });
    const finished = early.of('run-finished')[0]!;
    expect(finished.report).toBe(join(directory, 'report', 'report.html'));
    expect(finished.url).toBe(`file://${finished.report}`);
  });

  it('publishes each second while the load runs, with the figures the result keeps for it', () => {
    // Live, not all at the end: 3 s of load publish their seconds about a second apart.
    expect(secondsPublishedAt.at(-1)! - secondsPublishedAt[0]!).toBeGreaterThan(1000);
    const repeat = results[0]!.variants[0]!.repeats[0]!;
    const seconds = early.of('second');
    expect(seconds.map((s) => s.second)).toEqual(repeat.timeline.map((s) => s.second));
    for (const [i, second] of seconds.entries()) {
      const kept = repeat.timeline[i]!;
      expect(second).toMatchObject({ scenario: 'live-tiny', variant: 'time through nginx', repeat: 1 });
      expect(second.requests).toBe(kept.requests);
      expect(second.errors).toBe(kept.errors);
      expect(second.p50).toBe(kept.latency['GET /api/misc/time']!.p50);
      expect(second.p99).toBe(kept.latency['GET /api/misc/time']!.p99);
      const perInstance = Object.values(second.perInstance).reduce((sum, n) => sum + n, 0);
      expect(perInstance).toBe(second.requests);
    }
    expect(seconds.reduce((sum, s) => sum + s.requests, 0)).toBe(repeat.requests);
    expect(Object.keys(seconds[0]!.perInstance)).toEqual(Object.keys(repeat.perInstance));
    expect(repeat.requests).toBeGreaterThan(0);
  });

  it('answers /status with where the run is', () => {
    expect(statusCors).toBe('*');
    expect(statusDuringLoad).toEqual({
      state: 'running',
      scenario: 'live-tiny',
      variant: 'time through nginx',
      repeat: 1,
    });
  });

  it('gives a client that connects mid-run a snapshot first, then the live events', () => {
    const [snapshot, ...after] = late.events;
    expect(snapshot?.type).toBe('snapshot');
    const last = (snapshot as Extract<Received, { type: 'snapshot' }>).last;
    expect(last.map((event) => event.type).slice(0, 2)).toEqual(['run-started', 'variant']);
    const snapshotSeconds = last.filter((event) => event.type === 'second');
    expect(snapshotSeconds.length).toBeGreaterThan(0);
    // Together the snapshot and what followed are every second the first client saw, none twice.
    const seen = [...snapshotSeconds, ...after.filter((event) => event.type === 'second')];
    expect(seen).toEqual(early.of('second'));
    expect(after.at(-1)?.type).toBe('run-finished');
  });
});

describe('the live feed on its own', () => {
  const opened: (LiveFeed | FeedClient | Server | Socket)[] = [];
  afterAll(async () => {
    for (const thing of opened.reverse()) {
      if (thing instanceof FeedClient) thing.close();
      else if ('publish' in thing) await thing.close();
      else if ('destroy' in thing) thing.destroy();
      else await new Promise((resolve) => thing.close(resolve));
    }
  });

  const second = (n: number, filler = ''): LiveEvent => ({
    type: 'second',
    scenario: 's',
    variant: `v${filler}`,
    repeat: 1,
    second: n,
    requests: 1,
    non2xx: 0,
    errors: 0,
    p50: 1,
    p99: 1,
    perInstance: {},
  });

  it('drops a client that stops reading instead of buffering for it, and goes on with the others', async () => {
    const feed = await startLiveFeed({ port: await freePort(), log: () => undefined });
    opened.push(feed);
    const reader = new FeedClient(feed.url!);
    opened.push(reader);
    const stalled = connect(Number(new URL(feed.url!).port), '127.0.0.1');
    opened.push(stalled);
    stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    stalled.pause();
    await waitFor('both clients', () => feed.clients === 2);
    // 1 kB events until the stalled one is dropped: the kernel's buffers fill, then 256 kB of ours at most.
    const filler = 'x'.repeat(1000);
    let published = 0;
    while (feed.clients === 2 && published < 100_000) {
      feed.publish(second(published++, filler));
      // Let the sockets move, as the runner's event loop does between seconds.
      if (published % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(feed.clients).toBe(1);
    feed.publish(second(-1));
    await waitFor('the reading client to get every event', () => reader.of('second').at(-1)?.second === -1);
    expect(reader.of('second').length).toBe(published + 1);
  });

  it('sends heartbeat comments', async () => {
    const feed = await startLiveFeed({ port: await freePort(), log: () => undefined, heartbeatMs: 50 });
    opened.push(feed);
    const client = new FeedClient(feed.url!);
    opened.push(client);
    await waitFor('a heartbeat', () => client.comments.includes('heartbeat'));
  });

  it('says in one line that the port is busy, and publishing goes on without a feed', async () => {
    const port = await freePort();
    const other = createServer();
    opened.push(other);
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
    const lines: string[] = [];
    const feed = await startLiveFeed({ port, log: (line) => lines.push(line) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`live feed off: cannot listen on 127.0.0.1:${port} .*the run goes on`));
    expect(lines[0]).not.toContain('\n');
    expect(feed.url).toBeUndefined();
    feed.publish(second(0));
    await feed.close();
  });

  it('is off with port 0', async () => {
    const lines: string[] = [];
    const feed = await startLiveFeed({ port: 0, log: (line) => lines.push(line) });
    expect(feed.url).toBeUndefined();
    expect(lines).toEqual([]);
  });
});
