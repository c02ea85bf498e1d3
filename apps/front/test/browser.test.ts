import { existsSync } from 'node:fs';
import { freePort } from '@scale-lab/local-services';
import { startLocalStack, type LocalStack } from '@scale-lab/local-stack';
import { chromium, type Browser, type Page } from 'playwright-core';
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
      cdnPort: await freePort(),
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

  /**
   * A page that records what its Content-Security-Policy blocks: the securitypolicyviolation events (the
   * listener is installed before any of the page's own code runs) and the console's CSP messages.
   */
  async function watchedPage(): Promise<{ page: Page; violations: () => Promise<string[]> }> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    const consoleMessages: string[] = [];
    page.on('console', (message) => {
      if (/content security policy/i.test(message.text())) consoleMessages.push(message.text());
    });
    page.on('pageerror', (error) => consoleMessages.push(`page error: ${error.message}`));
    // Browser-side code as text: this project compiles without the DOM's types.
    await page.addInitScript({
      content: `globalThis.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (event) =>
          globalThis.cspViolations.push(event.effectiveDirective + ' blocked ' + event.blockedURI));`,
    });
    return {
      page,
      violations: async () => [
        ...((await page.evaluate('globalThis.cspViolations')) as string[]),
        ...consoleMessages,
      ],
    };
  }

  it('shows the answer, the replica and the latency of a call, and loads the big image', async () => {
    const { page, violations } = await watchedPage();
    const response = await page.goto(`${stack.siteUrl}/`);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('same-origin');
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
    // Everything above ran under the page's Content-Security-Policy without a violation.
    expect(await violations()).toEqual([]);

    // And the policy is enforced: an inline script is refused, and the refusal is what the listener sees.
    await page.evaluate(`(() => {
      const script = document.createElement('script');
      script.textContent = 'document.body.dataset.inline = "ran"';
      document.body.append(script);
    })()`);
    await expect
      .poll(violations)
      .toEqual(expect.arrayContaining([expect.stringMatching(/^script-src(-elem)? blocked inline$/)]));
    expect(await page.evaluate('document.body.dataset.inline')).toBeUndefined();
  }, 60_000);

  it('loads the big image from the cdn tier under the same policy, when the CDN base URL points there', async () => {
    await stack.setCdnBaseUrl(stack.cdnUrl!);
    try {
      const { page, violations } = await watchedPage();
      const response = await page.goto(`${stack.siteUrl}/`);
      expect(response!.headers()['content-security-policy']).toContain(`img-src 'self' ${stack.cdnUrl}/;`);
      await expect
        .poll(() => page.locator('#image-timing').textContent(), { timeout: 20_000 })
        .toMatch(/^Loaded in \d+ ms/);
      const source = await page
        .locator('#big-image')
        .evaluate((image) => (image as unknown as { currentSrc: string }).currentSrc);
      expect(source.startsWith(`${stack.cdnUrl}/assets/`)).toBe(true);
      expect(await violations()).toEqual([]);
    } finally {
      await stack.setCdnBaseUrl('');
    }
  }, 60_000);
});
