/**
 * Runs every lab sheet's marked command blocks (docs/labs/0N-*.md) in order, as a student would: from the
 * repo root, in bash, each within a bound. Background blocks (`./scale-lab up …`) run as a process group,
 * are waited on until their ready URL answers, and get SIGINT (a terminal's Ctrl-C) when the sheet is done;
 * the test waits for them to exit and for the sheet's ports to be free again, so nothing is left behind.
 *
 * The sheets use the stack's default ports (students copy them), so sheets run one after another and
 * each starts only when those ports are free.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertPortFree, freePort } from '@scale-lab/local-services';
import { describe, expect, it } from 'vitest';
import { runnableBlocks, type RunnableBlock } from '../src/sheets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHEETS = join(ROOT, 'docs/labs');
/** The default ports the sheets' `./scale-lab up` takes. */
const PORTS = [
  { port: 8080, purpose: 'the site' },
  { port: 8000, purpose: 'the movie load balancer' },
  { port: 8081, purpose: 'the cdn' },
  { port: 8099, purpose: 'the control API' },
];
/** `./scale-lab up` builds first; a cold build on 2 shared cores takes minutes. */
const READY_TIMEOUT_MS = 300_000;
const BLOCK_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;
const PORTS_FREE_TIMEOUT_MS = 30_000;

const sheetFiles = readdirSync(SHEETS)
  .filter((name) => /^0\d-.*\.md$/.test(name))
  .sort();

/** A block's process group: its output so far and its exit. */
interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string>;
}

function startBlock(block: RunnableBlock): Running {
  // detached: a process group of its own, so the whole block (bash, scale-lab, node, nginx…) can be signalled.
  const child = spawn('bash', ['-euo', 'pipefail', '-c', block.code], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, output: () => output, exited };
}

function signalGroup(running: Running, signal: NodeJS.Signals): void {
  try {
    process.kill(-running.child.pid!, signal);
  } catch {
    // The group is gone already.
  }
}

/** Resolves with the exit, or undefined when it did not come within `ms`. */
async function exitWithin(running: Running, ms: number): Promise<number | string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([running.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeBlock(sheet: string, block: RunnableBlock): string {
  return `${sheet}:${block.line}\n$ ${block.code.replaceAll('\n', '\n$ ')}`;
}

async function runForeground(sheet: string, block: RunnableBlock): Promise<void> {
  const running = startBlock(block);
  const ms = (block.timeoutSeconds ?? BLOCK_TIMEOUT_MS / 1000) * 1000;
  let code = await exitWithin(running, ms);
  if (code === undefined) {
    signalGroup(running, 'SIGKILL');
    await running.exited;
    code = `no exit within ${ms / 1000} s`;
  }
  if (process.env.SHEETS_VERBOSE === '1') console.log(`${describeBlock(sheet, block)}\n${running.output()}`);
  expect(code, `${describeBlock(sheet, block)}\n--- output ---\n${running.output()}`).toBe(0);
}

/** Polls the ready URL (each try bounded) until it answers, the block exits, or the deadline passes. */
async function waitReady(sheet: string, block: RunnableBlock, running: Running): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'not tried';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(block.ready!, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    const exited = await exitWithin(running, 500);
    if (exited !== undefined) {
      throw new Error(
        `${describeBlock(sheet, block)}\nexited (${exited}) before ${block.ready} answered\n--- output ---\n${running.output()}`,
      );
    }
  }
  throw new Error(
    `${describeBlock(sheet, block)}\n${block.ready} did not answer within ${READY_TIMEOUT_MS / 1000} s (${last})\n--- output ---\n${running.output()}`,
  );
}

/** Ctrl-C to every background block, newest first; waits for each to exit (SIGKILL past the bound). */
async function stopAll(background: Running[]): Promise<string[]> {
  const problems: string[] = [];
  for (const running of background.reverse()) {
    signalGroup(running, 'SIGINT');
    if ((await exitWithin(running, STOP_TIMEOUT_MS)) === undefined) {
      problems.push(
        `did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGINT:\n${running.output().slice(-3000)}`,
      );
      signalGroup(running, 'SIGKILL');
      await running.exited;
    }
  }
  return problems;
}

async function portsFree(): Promise<string[]> {
  const busy: string[] = [];
  for (const { port, purpose } of PORTS) {
    await assertPortFree(port, purpose).catch((error: Error) => busy.push(error.message));
  }
  return busy;
}

/** The ports a stopped stack held are released by the kernel at once, its children may take a moment. */
async function waitPortsFree(): Promise<string[]> {
  const deadline = Date.now() + PORTS_FREE_TIMEOUT_MS;
  let busy = await portsFree();
  while (busy.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    busy = await portsFree();
  }
  return busy;
}

/**
 * Runs one sheet's blocks in order; background blocks are stopped (Ctrl-C) and waited for at the end,
 * whatever happened. SHEETS_VERBOSE=1 prints every block's output (the grader's evidence lines, e.g. to
 * fill in a sheet's {{measure: …}} placeholders).
 */
async function runSheet(name: string, markdown: string): Promise<void> {
  const blocks = runnableBlocks(markdown);
  const background: Running[] = [];
  let failed = true;
  try {
    for (const block of blocks) {
      if (!block.background) {
        await runForeground(name, block);
        continue;
      }
      const running = startBlock(block);
      background.push(running);
      await waitReady(name, block, running);
    }
    failed = false;
  } finally {
    const problems = await stopAll(background);
    // After a failing block, its own message matters most; the clean-up is still done and bounded.
    if (!failed) expect(problems, 'background blocks stop on Ctrl-C').toEqual([]);
  }
}

describe('the sheet runner', () => {
  it('fails on a block that exits non-zero, showing the block and its output', async () => {
    const sheet = ['<!-- run: local -->', '```sh', 'echo before-the-failure', 'exit 3', '```'].join('\n');
    const failure = await runSheet('synthetic.md', sheet).then(
      () => 'passed',
      (error: Error) => error.message,
    );
    expect(failure).toContain('synthetic.md:1');
    expect(failure).toContain('before-the-failure');
    expect(failure).toMatch(/expected 3 to be \+?0/);
  });

  it('waits for a background block to be ready and leaves nothing running after the sheet', async () => {
    const port = await freePort();
    const server = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
    const sheet = [
      `<!-- run: local, background, ready: http://127.0.0.1:${port}/ -->`,
      '```sh',
      `node -e "${server}"`,
      '```',
      '<!-- run: local -->',
      '```sh',
      `curl -fsS --max-time 5 http://127.0.0.1:${port}/`,
      '```',
    ].join('\n');
    await runSheet('synthetic.md', sheet);
    await expect(assertPortFree(port, 'the synthetic server')).resolves.toBeUndefined();
  });
});

// Tests in one file run one after another: a sheet starts only once the previous one is stopped.
describe('the lab sheets run as written (local mode)', () => {
  it('has the five sheets, each with runnable blocks ending in the grader', () => {
    expect(sheetFiles).toHaveLength(5);
    for (const [i, name] of sheetFiles.entries()) {
      const blocks = runnableBlocks(readFileSync(join(SHEETS, name), 'utf8'));
      expect(blocks[0]?.background, `${name}: the first runnable block starts the stack`).toBe(true);
      expect(blocks.at(-1)?.code, `${name}: the last runnable block is the grader`).toContain(
        `./scale-lab check --lab ${i + 1}`,
      );
    }
  });

  for (const name of sheetFiles) {
    it(`docs/labs/${name}`, { timeout: 30 * 60_000 }, async () => {
      const busy = await portsFree();
      expect(busy, `the sheet needs the default ports free: ${busy.join('; ')}`).toEqual([]);
      await runSheet(name, readFileSync(join(SHEETS, name), 'utf8'));
      expect(await waitPortsFree(), 'nothing left listening after the sheet').toEqual([]);
    });
  }
});
