import { afterAll, beforeEach } from 'vitest';
import { logsSinceMark, markLogs, removeTestLogs, testLogsKeptIn } from './logs.js';

// A setupFile of every project (vitest.shared.ts): a failing test prints what the logs of the processes and
// apps it uses received during the test; a test file whose tests all pass leaves no log files behind.

let failed = false;

beforeEach(({ onTestFailed }) => {
  markLogs();
  onTestFailed(() => {
    failed = true;
    const logs = logsSinceMark();
    if (logs) console.error(`logs written during this failed test:\n${logs}`);
  });
});

afterAll(() => {
  const kept = testLogsKeptIn();
  if (kept && failed) console.error(`logs of this test file kept in ${kept}`);
  else removeTestLogs();
});
