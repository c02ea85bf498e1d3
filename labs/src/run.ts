import type { Check, CheckContext, CheckResult, Status } from './check.js';
import type { Lab } from './labs.js';

export interface CheckRecord extends CheckResult {
  id: string;
  name: string;
}

export interface LabReport {
  lab: number;
  site: string;
  movie: string;
  startedAt: string;
  checks: CheckRecord[];
  passed: number;
  failed: number;
  skipped: number;
}

/** One check, bounded by its timeout; an exception or the timeout is a FAIL that says so. */
async function runBounded(check: Check, context: CheckContext): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'FAIL',
          evidence: `did not finish within ${Math.round(check.timeoutMs / 1000)} s`,
          lookAt: "the stack answers too slowly, or a request hangs: the proxy and the replicas' logs",
        }),
      check.timeoutMs,
    );
  });
  try {
    return await Promise.race([
      check.run(context).catch((error: Error): CheckResult => ({
        status: 'FAIL',
        evidence: `the check itself failed: ${error.message}`,
        lookAt: 'this is a grader bug or an unexpected answer: run it again with --json to see the data',
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const count = (records: CheckRecord[], status: Status) =>
  records.filter((record) => record.status === status).length;

/** Every check of the lab in turn, each printed as soon as it is done. */
export async function runLab(
  lab: Lab,
  context: CheckContext,
  onDone: (record: CheckRecord) => void,
): Promise<LabReport> {
  const startedAt = new Date().toISOString();
  const checks: CheckRecord[] = [];
  for (const check of lab.checks) {
    const result = await runBounded(check, {
      ...context,
      progress: (message) => context.progress(`${check.name}: ${message}`),
    });
    const record = { id: check.id, name: check.name, ...result };
    checks.push(record);
    onDone(record);
  }
  return {
    lab: lab.number,
    site: context.site,
    movie: context.movie,
    startedAt,
    checks,
    passed: count(checks, 'PASS'),
    failed: count(checks, 'FAIL'),
    skipped: count(checks, 'SKIP'),
  };
}

export function formatRecord(record: CheckRecord): string {
  const line = `${record.status.padEnd(4)}  ${record.name} — ${record.evidence}`;
  return record.status === 'FAIL' && record.lookAt ? `${line}\n      look at: ${record.lookAt}` : line;
}

export function formatSummary(report: LabReport): string {
  return `lab ${report.lab}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`;
}
