import { existsSync, mkdirSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '@scale-lab/local-services';
import { startLiveFeed, type LiveFeed } from '@scale-lab/loadtests/live';
import { startLocalStack, type LocalStack } from '@scale-lab/local-stack';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Debian's Chromium; browsers are never downloaded. ./scale-lab test installs it when run as root.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available)
  console.warn(`[front] dashboard test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/** Screenshots of each state: test artefacts (gitignored); UPDATE_SCREENSHOT=1 also refreshes the README's. */
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const README_SCREENSHOT = fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url));

describe.skipIf(!available)(
  'the live dashboard in a real browser, on the local stack with 3 woody replicas',
  () => {
    let stack: LocalStack;
    let browser: Browser;
    let page: Page;
    let feedUrl: string;
    // The runner's own progress feed (what `./scale-lab run` serves), the test deciding what it publishes.
    let feed: LiveFeed;
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      feed = await startLiveFeed({ port: await freePort(), log: () => undefined });
      feedUrl = feed.url!;
      const cdnPort = await freePort();
      // The front's RUN_EVENTS_URL (its CSP and the run viewer's default), from the environment as in Docker.
      const previous = process.env.RUN_EVENTS_URL;
      process.env.RUN_EVENTS_URL = feedUrl;
      try {
        stack = await startLocalStack({
          woodyReplicas: 3,
          movieReplicas: 1,
          sitePort: await freePort(),
          moviePort: await freePort(),
          woodyEnv: { HEAVY_MS: '100' },
          // 6 MB at 2 MB/s: the origin takes ~3 s, enough to see the CDN's gain without a slow test.
          staticRateLimit: '2m',
          cdnPort,
          cdnBaseUrl: `http://127.0.0.1:${cdnPort}`,
        });
      } finally {
        if (previous === undefined) delete process.env.RUN_EVENTS_URL;
        else process.env.RUN_EVENTS_URL = previous;
      }
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
      });
      page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
      await page.goto(`${stack.siteUrl}/`);
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
      await feed?.close();
    }, 60_000);

    /** The rows of a chart's figures table, oldest second first: { column name: number }. */
    async function figures(chart: string): Promise<Record<string, number>[]> {
      const rows = await page.locator(`${chart} details table`).evaluate((table) => {
        const cells = (row: { cells: ArrayLike<{ textContent: string | null }> }) =>
          Array.from(row.cells, (cell) => cell.textContent ?? '');
        const element = table as unknown as {
          tHead: { rows: ArrayLike<{ cells: ArrayLike<{ textContent: string | null }> }> } | null;
          tBodies: ArrayLike<{ rows: ArrayLike<{ cells: ArrayLike<{ textContent: string | null }> }> }>;
        };
        const head = element.tHead?.rows[0] ? cells(element.tHead.rows[0]) : [];
        return Array.from(element.tBodies[0]?.rows ?? [], (row) =>
          Object.fromEntries(cells(row).map((text, index) => [head[index]!, text])),
        );
      });
      return rows.reverse().map((row) =>
        Object.fromEntries(
          Object.entries(row)
            .filter(([name]) => name !== 'second')
            .map(([name, text]) => [name, Number(text) || 0]),
        ),
      );
    }

    const total = (rows: Record<string, number>[], name: string) =>
      rows.reduce((sum, row) => sum + (row[name] ?? 0), 0);

    async function tiles(): Promise<{ instance: string; state: string }[]> {
      return page.locator('#replica-tiles .tile').evaluateAll((items) =>
        items.map((item) => {
          const data = (item as unknown as { dataset: Record<string, string> }).dataset;
          return { instance: data.instance!, state: data.state! };
        }),
      );
    }

    async function startLoad(
      target: string,
      rate: number,
      seconds: number,
      heavyName = 'dashboard',
    ): Promise<void> {
      await page.getByLabel('endpoint').selectOption(target);
      await page.getByLabel('heavy name').fill(heavyName);
      await page.locator('#load-mode-rate').check();
      await page.getByLabel('requests per second').fill(String(rate));
      await page.getByLabel('duration (s)').fill(String(seconds));
      await page.getByRole('button', { name: 'Start load' }).click();
      await expect.poll(() => page.locator('#load-status').getAttribute('data-state')).toBe('running');
    }

    async function loadStopped(timeout: number): Promise<string> {
      await expect
        .poll(() => page.locator('#load-status').getAttribute('data-state'), { timeout })
        .toBe('stopped');
      return (await page.locator('#load-status').textContent()) ?? '';
    }

    async function screenshot(name: string): Promise<void> {
      await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: false });
    }

    it('spreads 50 req/s on /api/misc/time over 3 replicas: 3 tiles, per-replica chart data for each', async () => {
      await startLoad('time', 50, 5);
      await expect
        .poll(tiles, { timeout: 5000 })
        .toEqual(['woody-1', 'woody-2', 'woody-3'].map((instance) => ({ instance, state: 'live' })));
      // The README's picture: while the load runs, once the charts have a few seconds to show.
      await expect
        .poll(async () => (await figures('#chart-replicas')).length, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(4);
      await page.locator('#dashboard-title').scrollIntoViewIfNeeded();
      await screenshot('1-load-3-replicas');
      await page.locator('.dashboard').screenshot({ path: `${ARTIFACTS}0-dashboard.png` });
      const stopped = await loadStopped(15_000);
      expect(stopped).toMatch(/^Stopped: \d+ answers, 0 failed\.$/);
      // 50 req/s for 5 s: about 250 answers (timers are never early; allow the browser some slack).
      expect(Number(/(\d+) answers/.exec(stopped)![1])).toBeGreaterThanOrEqual(200);
      await expect
        .poll(async () => {
          const rows = await figures('#chart-replicas');
          return ['woody-1', 'woody-2', 'woody-3'].map((name) => total(rows, name) > 0);
        })
        .toEqual([true, true, true]);
      const latency = await figures('#chart-latency');
      expect(latency.some((row) => row.p99! > 0 && row.p99! >= row.p50!)).toBe(true);
      await page
        .locator('.charts')
        .evaluate((charts) => (charts as unknown as { scrollIntoView(): void }).scrollIntoView());
      await screenshot('1b-charts');
    }, 60_000);

    it('marks a killed replica gone within 5 s, and the load goes on without a failed request', async () => {
      await startLoad('time', 50, 60);
      const answered = async () =>
        Number(/^(\d+) answers/.exec((await page.locator('#load-totals').textContent()) ?? '')?.[1]);
      const stateOf = async (instance: string) =>
        (await tiles()).find((tile) => tile.instance === instance)?.state;
      try {
        await expect
          .poll(async () => (await tiles()).filter((tile) => tile.state === 'live').length, { timeout: 5000 })
          .toBe(3);
        // A crash: SIGKILL to woody-1 mid-load. The proxy retries its requests on the others, so none fails,
        // and sets it aside for its fail_timeout (5 s): silent that long, its tile turns gone. The stack's
        // supervisor restarts it under the same name, so the tile comes back live afterwards.
        const beforeKill = await answered();
        const victim = stack.replicas('woody-api').find((replica) => replica.instanceId === 'woody-1')!;
        process.kill(victim.pid, 'SIGKILL');
        const killedAt = Date.now();
        await expect.poll(() => stateOf('woody-1'), { timeout: 5000, interval: 100 }).toBe('gone');
        console.log(
          `[front] woody-1's tile marked gone ${((Date.now() - killedAt) / 1000).toFixed(1)} s after SIGKILL`,
        );
        await expect.poll(() => page.locator('#replica-news').textContent()).toContain('woody-1 gone');
        await page.locator('#replicas-title').scrollIntoViewIfNeeded();
        await screenshot('2-replica-gone');
        await expect.poll(() => stateOf('woody-1'), { timeout: 20_000 }).toBe('live');
        expect(await answered()).toBeGreaterThan(beforeKill + 150);
        // A replica that stays dead: scaled away (as `docker service scale` does), woody-3 stops for good.
        await stack.scale('woody-api', 2);
        await expect.poll(() => stateOf('woody-3'), { timeout: 5000, interval: 100 }).toBe('gone');
        await expect
          .poll(async () =>
            (await tiles()).filter((tile) => tile.state === 'live').map((tile) => tile.instance),
          )
          .toEqual(['woody-1', 'woody-2']);
      } finally {
        await page.getByRole('button', { name: 'Stop load' }).click();
      }
      expect(await loadStopped(15_000)).toMatch(/^Stopped: \d+ answers, 0 failed\.$/);
      expect(Object.keys((await figures('#chart-errors'))[0] ?? {})).toEqual([]);
    }, 90_000);

    it('shows the heavy endpoint MISS then HIT on the cache chart', async () => {
      await startLoad('heavy', 10, 4, `cache-${Date.now()}`);
      expect(await loadStopped(20_000)).toMatch(/0 failed\.$/);
      const rows = await figures('#chart-cache');
      expect(total(rows, 'MISS')).toBeGreaterThan(0);
      expect(total(rows, 'HIT')).toBeGreaterThan(0);
      const firstMiss = rows.findIndex((row) => (row.MISS ?? 0) > 0);
      const firstHit = rows.findIndex((row) => (row.HIT ?? 0) > 0);
      expect(firstMiss).toBeLessThanOrEqual(firstHit);
      expect(total(rows, 'HIT')).toBeGreaterThan(total(rows, 'MISS'));
      await page.locator('#chart-cache').scrollIntoViewIfNeeded();
      await screenshot('3-cache-miss-then-hit');
    }, 60_000);

    it('loads the big image at least 10× faster through the CDN than from the rate-limited origin', async () => {
      // The page's own <img> came through the CDN base URL: once it has loaded, the CDN holds a copy.
      await expect
        .poll(() => page.locator('#image-timing').textContent(), { timeout: 30_000 })
        .toMatch(/^Loaded in/);
      await page.getByRole('button', { name: 'Compare both' }).click();
      await expect
        .poll(() => page.locator('#offload-verdict').textContent(), { timeout: 60_000 })
        .toContain('faster');
      const origin = Number(await page.locator('#offload-origin').getAttribute('data-ms'));
      const cdn = Number(await page.locator('#offload-cdn').getAttribute('data-ms'));
      console.log(`[front] big image: origin ${origin} ms, CDN ${cdn} ms`);
      expect(origin).toBeGreaterThanOrEqual(10 * Math.max(cdn, 1));
      await expect
        .poll(() => page.locator('#offload-origin output').textContent())
        .toContain(`from ${new URL(stack.siteUrl).host}`);
      await expect
        .poll(() => page.locator('#offload-cdn output').textContent())
        .toContain(`from ${new URL(stack.cdnUrl!).host}`);
      // Sizes as the browser counted them on the wire: the cdn's Timing-Allow-Origin lets the page read them.
      for (const card of ['#offload-origin', '#offload-cdn'])
        expect(await page.locator(`${card} output`).textContent()).toMatch(
          /^\d+\.\d\d s, 6\.\d MB from [\d.:]+$/,
        );
      await page.locator('#offload-verdict').scrollIntoViewIfNeeded();
      await screenshot('4-offload');
    }, 90_000);

    it('follows a run from its progress feed, joined mid-run, and links the report at the end', async () => {
      expect(await page.getByLabel('progress feed').inputValue()).toBe(feedUrl);
      // The run started before the page connected: the feed's first event, a snapshot, says where it is.
      feed.publish({ type: 'run-started', target: 'local', quick: true, scenarios: ['baseline', 'faults'] });
      feed.publish({ type: 'variant', scenario: 'baseline', variant: 'time @ 100/s', repeat: 1, repeats: 2 });
      const where = () => page.locator('#run-where').textContent();
      await page.getByRole('button', { name: 'Connect' }).click();
      await expect.poll(() => feed.clients).toBe(1);
      await expect
        .poll(() => page.locator('#run-state').textContent())
        .toBe(`following the run at ${feedUrl}`);
      await expect.poll(where).toBe('baseline · time @ 100/s · repeat 1 of 2');
      for (let second = 1; second <= 3; second += 1) {
        feed.publish({
          type: 'second',
          scenario: 'baseline',
          variant: 'time @ 100/s',
          repeat: 1,
          second,
          requests: 100 * second,
          non2xx: 0,
          errors: 0,
          p50: 3,
          p99: 9,
          perInstance: { 'woody-1': 50 * second, 'woody-2': 50 * second },
        });
        await expect.poll(where).toBe(`baseline · time @ 100/s · repeat 1 · second ${second}`);
      }
      expect((await figures('#run-chart')).map((row) => row['requests/s'])).toEqual([100, 200, 300]);
      feed.publish({
        type: 'run-finished',
        report: '/tmp/scale-lab/report.html',
        url: 'file:///tmp/scale-lab/report.html',
      });
      await expect.poll(where).toBe('run finished');
      expect(await page.locator('#run-report a').getAttribute('href')).toBe(
        'file:///tmp/scale-lab/report.html',
      );
      expect(await page.locator('#run-report a').textContent()).toBe('/tmp/scale-lab/report.html');
      // The run is over: the viewer lets go of the feed (the runner closes it) and offers to connect again.
      await expect.poll(() => feed.clients).toBe(0);
      expect(await page.getByRole('button', { name: 'Connect' }).getAttribute('aria-pressed')).toBe('false');
      await page.locator('#run-title').scrollIntoViewIfNeeded();
      await screenshot('5-run-viewer');
    }, 30_000);

    it('is usable by keyboard, and at phone width, with no console error all along', async () => {
      // Keyboard: from the endpoint field, Tab reaches the load controls in order, each focused visibly.
      await page.getByLabel('endpoint').focus();
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.id')).toBe('load-heavy-name');
      const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
      expect(outline).not.toBe('none');
      // Every control of the dashboard has an accessible name.
      const unnamed = await page.locator('.dashboard').evaluate((root) =>
        Array.from(
          (
            root as unknown as {
              querySelectorAll(s: string): ArrayLike<{
                id: string;
                labels?: ArrayLike<unknown> | null;
                textContent: string | null;
                tagName: string;
              }>;
            }
          ).querySelectorAll('input, select, button'),
        )
          .filter((control) =>
            control.tagName === 'BUTTON' ? !control.textContent?.trim() : !control.labels?.length,
          )
          .map((control) => control.id),
      );
      expect(unnamed).toEqual([]);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator('#dashboard-title').scrollIntoViewIfNeeded();
      await expect.poll(() => page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await screenshot('6-phone-width');
      await page.setViewportSize({ width: 1280, height: 800 });
      if (process.env.UPDATE_SCREENSHOT === '1')
        await copyFile(`${ARTIFACTS}0-dashboard.png`, README_SCREENSHOT);
      expect(consoleErrors).toEqual([]);
    }, 30_000);
  },
);
