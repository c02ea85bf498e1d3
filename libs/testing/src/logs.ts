import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Logs of the processes and apps a test file starts go to files, never to the terminal, where the expected
 * failures the tests provoke (503s, killed replicas, a database away) would flood the output. When a test
 * fails, log-setup.ts (a setupFile of every project) prints what each log received during that test.
 */

const TAIL_LINES = 40;

let directory: string | undefined;
let count = 0;
/** Log files, or directories whose *.log files are logs. */
const watched = new Set<string>();
let sizesAtTestStart = new Map<string, number>();

/** This test file's log directory, created on first use. */
export function testLogDirectory(): string {
  directory ??= mkdtempSync(join(tmpdir(), 'scale-lab-test-logs-'));
  return directory;
}

/** A new, empty log file for `name`, shown when a test fails. */
export function testLogFile(name: string): string {
  const file = join(testLogDirectory(), `${++count}-${name.replace(/[^\w.-]+/g, '_')}.log`);
  writeFileSync(file, '');
  watched.add(file);
  return file;
}

/** Appends to a log file; a log removed with its passing test file is not worth a crash. */
export function appendToLog(file: string, text: string | Buffer): void {
  try {
    appendFileSync(file, text);
  } catch {
    // removed after the test file passed
  }
}

/** A logger destination (pino's `stream` option) writing synchronously to a new log file for `name`. */
export function testLogStream(name: string): { file: string; write(line: string): void } {
  const file = testLogFile(name);
  return { file, write: (line) => appendToLog(file, line) };
}

/** Shows a log file kept elsewhere (or every *.log file of a directory) when a test fails. */
export function showLogOnFailure(path: string): void {
  watched.add(path);
}

function logFiles(): string[] {
  return [...watched].flatMap((path) => {
    try {
      if (!statSync(path).isDirectory()) return [path];
      return readdirSync(path)
        .filter((name) => name.endsWith('.log'))
        .map((name) => join(path, name));
    } catch {
      return [];
    }
  });
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Remembers where each log ends, so a failure shows only what was written during the test. */
export function markLogs(): void {
  sizesAtTestStart = new Map(logFiles().map((file) => [file, sizeOf(file)]));
}

/** The last lines each log received since markLogs(), with the file's path; '' if none. */
export function logsSinceMark(): string {
  const sections: string[] = [];
  for (const file of logFiles()) {
    let text: string;
    try {
      text = readFileSync(file)
        .subarray(sizesAtTestStart.get(file) ?? 0)
        .toString('utf8')
        .trimEnd();
    } catch {
      continue;
    }
    if (!text) continue;
    const lines = text.split('\n');
    const shown = lines.slice(-TAIL_LINES);
    const what = shown.length < lines.length ? `last ${shown.length} of ${lines.length} lines` : 'lines';
    sections.push(`── ${file} (${what} written during the test)\n${shown.join('\n')}`);
  }
  return sections.join('\n');
}

/** Removes this test file's log directory (when all its tests passed). */
export function removeTestLogs(): void {
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
}

/** Where this test file's logs are, if it made any. */
export function testLogsKeptIn(): string | undefined {
  return directory;
}
