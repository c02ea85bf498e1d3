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
        '--cdn-port',
        String(await freePort()),
        '--control-port',
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
    const bad: [string[], string][] = [
      [['--assets', 'edge'], '--assets must be origin or cdn (got edge)'],
      [['--control-port', '80a'], '--control-port must be a whole number (got 80a)'],
      [['--cdn-port', '70000'], '--cdn-port must be a port from 1 to 65535 (got 70000)'],
      [['--movie-work-ms', '1.5'], '--movie-work-ms must be a whole number (got 1.5)'],
      [['--movie-concurrency', '0'], '--movie-concurrency must be a whole number from 1 (got 0)'],
    ];
    for (const [args, message] of bad) {
      const child = runCli(['up', ...args]);
      expect(await child.exited, args.join(' ')).toBe(1);
      expect(child.output().trim()).toBe(`scale-lab: ${message}`);
    }
  });

  it('starts the stack with its control API and options, and on SIGTERM stops every process and removes its data', async () => {
    const sitePort = await freePort();
    const cdnPort = await freePort();
    const controlPort = await freePort();
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
      '--cdn-port',
      String(cdnPort),
      '--control-port',
      String(controlPort),
      '--assets',
      'cdn',
      '--movie-work-ms',
      '7',
      '--movie-concurrency',
      '3',
    ]);
    await expect
      .poll(() => child.output(), { timeout: 90_000, interval: 250 })
      .toContain('Press Ctrl-C to stop.');
    expect(child.output()).toContain(`http://127.0.0.1:${sitePort}/api/ping`);
    expect((await fetch(`http://127.0.0.1:${sitePort}/api/ping`)).status).toBe(200);
    const controlUrl = `http://127.0.0.1:${controlPort}`;
    expect(child.output()).toMatch(
      new RegExp(`control API \\(\\./scale-lab ctl\\)\\s+${controlUrl}/replicas`),
    );
    const { replicas } = (await (await fetch(`${controlUrl}/replicas`)).json()) as {
      replicas: { service: string; pid: number }[];
    };
    expect(replicas.map((replica) => replica.service)).toEqual(['woody-api', 'woody-api', 'movie-api']);
    // --assets cdn: the page names the cdn tier for its big image from the start.
    const page = await (await fetch(`http://127.0.0.1:${sitePort}/`)).text();
    expect(page).toMatch(
      new RegExp(`src="http://127\\.0\\.0\\.1:${cdnPort}/assets/big-image\\.[0-9a-f]+\\.png"`),
    );
    // The movie options reach movie-api's environment as they are.
    const movieEnv = readFileSync(`/proc/${replicas[2]!.pid}/environ`, 'utf8').split('\0');
    expect(movieEnv).toEqual(expect.arrayContaining(['MOVIE_WORK_MS=7', 'MOVIE_WORK_CONCURRENCY=3']));
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
    await expect(fetch(`${controlUrl}/health`)).rejects.toThrow(); // the control API stopped with it
  }, 120_000);
});
