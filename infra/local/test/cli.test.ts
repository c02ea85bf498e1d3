import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from '@scale-lab/local-services';
import { spawnService } from '@scale-lab/testing';
import { describe, expect, it, onTestFinished } from 'vitest';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** The CLI from source, in its own process group, all of it killed when the test ends (passed or not). */
function runCli(args: string[]) {
  const child = spawnService(cli, {}, { args, processGroup: true });
  onTestFinished(() => child.kill());
  return child;
}

/** Running, as opposed to gone or a zombie waiting to be reaped by its new parent. */
function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('scale-lab-local CLI', () => {
  it('says which port is busy, in one line, and exits 1', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const busy = (blocker.address() as { port: number }).port;
    try {
      const child = runCli([
        'up',
        '--woody',
        '1',
        '--movie',
        '1',
        '--site-port',
        String(busy),
        '--movie-port',
        String(await freePort()),
      ]);
      expect(await child.exited).toBe(1);
      expect(child.output().trim()).toBe(
        `scale-lab: port ${busy} (the site: front and woody-api) is already in use; stop what uses it or choose another port`,
      );
    } finally {
      blocker.close();
    }
  });

  it('rejects a bad option with a clear message', async () => {
    const child = runCli(['up', '--heavy-mode', 'turbo']);
    expect(await child.exited).toBe(1);
    expect(child.output()).toContain('--heavy-mode must be sleep or cpu (got turbo)');
    const unknown = runCli(['up', '--replicas', '3']);
    expect(await unknown.exited).toBe(1);
    expect(unknown.output()).toMatch(/^scale-lab: Unknown option '--replicas'/);
  });

  it('starts the stack, prints the URLs, and on SIGTERM stops every process and removes its data', async () => {
    const sitePort = await freePort();
    const child = runCli([
      'up',
      '--woody',
      '2',
      '--movie',
      '1',
      '--site-port',
      String(sitePort),
      '--movie-port',
      String(await freePort()),
    ]);
    await expect
      .poll(() => child.output(), { timeout: 90_000, interval: 250 })
      .toContain('Press Ctrl-C to stop.');
    expect(child.output()).toContain(`http://127.0.0.1:${sitePort}/api/ping`);
    expect((await fetch(`http://127.0.0.1:${sitePort}/api/ping`)).status).toBe(200);
    const dir = /logs and data\s+(\S+)/.exec(child.output())![1]!;
    expect(existsSync(dir)).toBe(true);
    const { execFileSync } = await import('node:child_process');
    const children = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    expect(children.length).toBeGreaterThanOrEqual(5); // MariaDB, Redis, nginx, 2 woody, 1 movie

    child.signal('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.output()).toContain('stopped, temporary data removed');
    expect(existsSync(dir)).toBe(false);
    await expect.poll(() => children.filter(isRunning), { timeout: 3000 }).toEqual([]);
  }, 120_000);
});
