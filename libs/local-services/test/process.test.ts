import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedProcess } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scale-lab-process-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let count = 0;
function node(script: string, options: { processGroup?: boolean } = {}): ManagedProcess {
  return new ManagedProcess({
    name: 'script',
    command: process.execPath,
    args: ['-e', script],
    logFile: join(dir, `${++count}.log`),
    ...options,
  });
}

/** Running, as opposed to gone or a zombie nobody has reaped yet. */
function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** A process that starts a long sleep, prints its pid, and waits. */
const PARENT = `
  const child = require('node:child_process').spawn('sleep', ['600'], { stdio: 'ignore' });
  console.log('grandchild ' + child.pid);
  setInterval(() => {}, 1000);
`;

async function grandchildOf(parent: ManagedProcess): Promise<number> {
  await expect.poll(() => parent.output(), { timeout: 10_000 }).toMatch(/grandchild \d+/);
  return Number(/grandchild (\d+)/.exec(parent.output())![1]);
}

describe('ManagedProcess', () => {
  it('keeps what the process printed in output() and its log file, and resolves exited with its code', async () => {
    const child = node("console.log('to stdout'); console.error('to stderr'); process.exit(3)");
    child.start();
    expect(await child.exited).toBe(3);
    expect(child.running).toBe(false);
    expect(child.output()).toContain('to stdout');
    expect(child.output()).toContain('to stderr');
    const log = await readFile(child.options.logFile, 'utf8');
    expect(log).toContain('to stdout');
    expect(log).toContain('to stderr');
    expect(child.logTail(1)).toMatch(/^to (stdout|stderr)$/);
  });

  it('fails a readiness wait at once, with what the process said, when it exits', async () => {
    const child = node("console.error('no config'); process.exit(1)");
    child.start();
    await expect(child.waitUntil(async () => false, 60_000)).rejects.toThrow(
      /script exited during start-up:\nno config/,
    );
  });

  it('names the signal that ended it, and none after a normal exit', async () => {
    const killed = node('setInterval(() => {}, 1000)');
    killed.start();
    expect(killed.signalCode).toBeNull();
    process.kill(killed.pid!, 'SIGKILL');
    expect(await killed.exited).toBeNull();
    expect(killed.signalCode).toBe('SIGKILL');
    const exiting = node('process.exit(0)');
    exiting.start();
    expect(await exiting.exited).toBe(0);
    expect(exiting.signalCode).toBeNull();
  });

  it('resolves exited with null and says why when the command cannot be started', async () => {
    const child = new ManagedProcess({
      name: 'missing',
      command: join(dir, 'no-such-program'),
      args: [],
      logFile: join(dir, 'missing.log'),
    });
    child.start();
    expect(await child.exited).toBeNull();
    expect(child.output()).toMatch(/could not start .*no-such-program: .*ENOENT/);
  });

  it('stops a process group: the processes it started go too', async () => {
    const parent = node(PARENT, { processGroup: true });
    parent.start();
    const grandchild = await grandchildOf(parent);
    expect(isRunning(grandchild)).toBe(true);
    await parent.stop();
    await expect.poll(() => isRunning(grandchild), { timeout: 10_000 }).toBe(false);
  });

  it('kills what a group leader that died abruptly left behind', async () => {
    const parent = node(PARENT, { processGroup: true });
    parent.start();
    const grandchild = await grandchildOf(parent);
    parent.signal('SIGKILL'); // the leader alone
    await parent.exited;
    expect(isRunning(grandchild)).toBe(true);
    await parent.kill();
    await expect.poll(() => isRunning(grandchild), { timeout: 10_000 }).toBe(false);
  });

  it('without a process group, stops only the process itself', async () => {
    const parent = node(PARENT);
    parent.start();
    const grandchild = await grandchildOf(parent);
    try {
      await parent.stop();
      expect(isRunning(grandchild)).toBe(true);
    } finally {
      process.kill(grandchild, 'SIGKILL');
    }
  });
});
