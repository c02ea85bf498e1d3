import { existsSync } from 'node:fs';
import { freePort } from '@scale-lab/local-services';
import { startLocalStack, type LocalStack } from '@scale-lab/local-stack';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Debian's Chromium; browsers are never downloaded. ./scale-lab test installs it when run as root.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available)
  console.warn(`[front] browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!available)('the front in a real browser, on the local stack', () => {
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({
      woodyReplicas: 2,
      movieReplicas: 1,
      sitePort: await freePort(),
      moviePort: await freePort(),
      woodyEnv: { HEAVY_MS: '100' },
      staticRateLimit: '0',
    });
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
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  it('shows the answer, the replica and the latency of a call, and loads the big image', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    await page.goto(`${stack.siteUrl}/`);
    await page.getByRole('button', { name: 'Ping' }).click();
    const row = page.locator('#answers tr').first();
    await expect
      .poll(() => row.locator('td').allTextContents(), { timeout: 10_000 })
      .toEqual([
        'GET /api/ping',
        '200',
        expect.stringMatching(/^\d+$/),
        expect.stringMatching(/^woody-[12]$/),
        expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        '',
        '{"ping":"pong"}',
      ]);

    await page.getByRole('button', { name: 'By title' }).click();
    await expect
      .poll(() => page.locator('#answers tr').first().locator('td').nth(6).textContent())
      .toContain('The Good Dinosaur');

    await page.locator('#burst-count').fill('8');
    await page.getByRole('button', { name: 'Fire' }).click();
    await expect
      .poll(() => page.locator('#burst-result .bar').allTextContents())
      .toEqual([expect.stringMatching(/^woody-1: \d+$/), expect.stringMatching(/^woody-2: \d+$/)]);

    await expect
      .poll(() => page.locator('#image-timing').textContent(), { timeout: 20_000 })
      .toMatch(/^Loaded in \d+ ms/);
    const naturalWidth = await page
      .locator('#big-image')
      .evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth);
    expect(naturalWidth).toBe(2048);
    await page.screenshot({ path: `${stack.dir}/../scale-lab-front.png`, fullPage: false });
  }, 60_000);
});
