import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, createWriteStream, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: readonly string[];
  /** Where stdout and stderr go, so a failed start can show what the program said. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Run it as the leader of its own process group, so that stop() and kill() also end whatever it started and
   * left behind (a runner that died abruptly leaves no grandchildren). signal() and stop()'s SIGTERM still go
   * to the leader alone, which can then stop its children in order. The group gets no Ctrl-C from a terminal.
   */
  processGroup?: boolean;
  /**
   * 'file': the child writes into logFile itself and nothing passes through this process. For nginx: its
   * access log under load would compete with a load generator here, and it reopens /dev/stdout and
   * /dev/stderr, which it cannot do on the pipes Node gives a child. output() then reads the file's tail.
   * Default 'pipe': the output is read here, kept in memory and copied to logFile.
   */
  output?: 'pipe' | 'file';
}

/** output() keeps (at least) the last this many characters. */
const OUTPUT_LIMIT = 1 << 20;
/** After the process exits, how long a leftover child may hold its output pipes before they are closed. */
const DRAIN_MS = 1000;

/** A child process with its output in a log file, a readiness wait and a bounded stop. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private done: Promise<number | null> = Promise.resolve(null);
  private captured = '';

  constructor(readonly options: ManagedProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The signal that ended the process of the last start(), e.g. 'SIGKILL'; null while it runs or if it exited. */
  get signalCode(): NodeJS.Signals | null {
    return this.child?.signalCode ?? null;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Resolves when the process (of the last start()) has exited and its output has been read and written to
   * the log file: with its exit code, or null if it was ended by a signal or could not be started.
   */
  get exited(): Promise<number | null> {
    return this.done;
  }

  /** What the process printed (stdout and stderr) since its last start(); the last 1 MiB or more of it. */
  output(): string {
    if (this.options.output === 'file') return fileTail(this.options.logFile, OUTPUT_LIMIT);
    return this.captured.length > OUTPUT_LIMIT ? this.captured.slice(-OUTPUT_LIMIT) : this.captured;
  }

  start(): void {
    if (this.options.output === 'file') return this.startWritingToFile();
    const log = createWriteStream(this.options.logFile, { flags: 'a' });
    log.on('error', () => {}); // a log that cannot be written must not take this process down
    this.captured = '';
    const record = (text: string) => {
      this.captured += text;
      if (this.captured.length > 2 * OUTPUT_LIMIT) this.captured = this.captured.slice(-OUTPUT_LIMIT);
      log.write(text);
    };
    const child = spawn(this.options.command, this.options.args, {
      env: this.options.env ?? process.env,
      cwd: this.options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.options.processGroup === true,
    });
    const pipes = [child.stdout!, child.stderr!];
    for (const pipe of pipes) {
      pipe.setEncoding('utf8');
      pipe.on('data', record);
    }
    child.on('error', (error) => {
      if (child.pid === undefined)
        record(`\n[scale-lab] could not start ${this.options.command}: ${error.message}\n`);
    });
    this.done = new Promise((resolve) => {
      let drain: NodeJS.Timeout | undefined;
      child.once('exit', () => {
        drain = setTimeout(() => pipes.forEach((pipe) => pipe.destroy()), DRAIN_MS);
      });
      child.once('close', (code) => {
        clearTimeout(drain);
        log.end(() => resolve(child.pid === undefined ? null : code));
      });
    });
    this.child = child;
  }

  private startWritingToFile(): void {
    const log = openSync(this.options.logFile, 'a');
    try {
      const child = spawn(this.options.command, this.options.args, {
        env: this.options.env ?? process.env,
        cwd: this.options.cwd,
        stdio: ['ignore', log, log],
        detached: this.options.processGroup === true,
      });
      child.on('error', (error) => {
        if (child.pid === undefined)
          appendFileSync(
            this.options.logFile,
            `\n[scale-lab] could not start ${this.options.command}: ${error.message}\n`,
          );
      });
      this.done = new Promise((resolve) => {
        child.once('close', (code) => resolve(child.pid === undefined ? null : code));
      });
      this.child = child;
    } finally {
      closeSync(log);
    }
  }

  /** Polls `ready` until it returns true; fails early, with the output's tail, if the process dies first. */
  async waitUntil(ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        await this.done; // all it printed
        throw new Error(`${this.options.name} exited during start-up:\n${this.logTail()}`);
      }
      if (await ready().catch(() => false)) return;
      await sleep(100);
    }
    throw new Error(`${this.options.name} did not become ready within ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** Sends `signal` to the process (its group's leader), not waiting for anything. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited within `graceMs`; with processGroup, then SIGKILL to what
   * is left of the group.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running) {
      this.child?.kill('SIGCONT'); // a frozen process cannot act on SIGTERM
      this.child?.kill('SIGTERM');
      const timer = setTimeout(() => this.killAll(), graceMs);
      await this.done;
      clearTimeout(timer);
    }
    this.killAll();
  }

  /** SIGKILL, to the whole group with processGroup (even if its leader has exited already). */
  async kill(): Promise<void> {
    this.killAll();
    await this.done;
  }

  private killAll(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    if (this.options.processGroup) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // nothing left in the group
      }
    }
    if (this.running) this.child?.kill('SIGKILL');
  }

  /** The last `lines` lines the process printed since its last start(). */
  logTail(lines = 20): string {
    const text = this.output().trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(no output)';
  }
}

/** The last `limit` bytes of a file, as text; '' when it cannot be read. */
function fileTail(path: string, limit: number): string {
  try {
    const size = statSync(path).size;
    const buffer = Buffer.alloc(Math.min(size, limit));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8');
  } catch {
    return '';
  }
}
