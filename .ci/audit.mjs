#!/usr/bin/env node
// CI only: `npm audit --omit=dev --audit-level=high` over the production dependencies of package-lock.json
// (nothing is installed or rewritten). Fails only on a real finding: npm's exit code and a parsed report
// with high or critical advisories. A registry that cannot answer (this machine's answers the audit
// endpoint with 405) makes the audit "unavailable": said so, counted neither passed nor failed.
// Closes with "audit: N passed, N failed"; exits 1 on a finding.
//   node .ci/audit.mjs                               run npm audit
//   node .ci/audit.mjs --report FILE --status CODE   judge a saved `npm audit --json` output instead
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { report: { type: 'string' }, status: { type: 'string', default: '0' } },
});
const TIMEOUT_MS = 120_000;

let status;
let output;
if (args.report) {
  status = Number(args.status);
  output = readFileSync(args.report, 'utf8');
} else {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], {
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) {
    const why =
      run.error.code === 'ETIMEDOUT' ? `no answer within ${TIMEOUT_MS / 1000} s` : run.error.message;
    unavailable(why);
  }
  status = run.status;
  output = run.stdout;
}

let report;
try {
  report = JSON.parse(output);
} catch {
  unavailable(`npm audit printed no report (exit ${status})`);
}

const counts = report?.metadata?.vulnerabilities;
if (!counts) {
  // npm's error shape: { message: '405 Method Not Allowed - POST https://…/advisories/bulk', statusCode: 405 }
  // or { error: { code, summary } }.
  const said = report?.message ?? report?.error?.summary ?? report?.error?.code ?? `exit ${status}`;
  unavailable(report?.statusCode ? `registry answered ${said}` : said);
}

const serious = (counts.high ?? 0) + (counts.critical ?? 0);
const production = report.metadata.dependencies?.prod ?? '?';
const others = ['moderate', 'low', 'info'].map((level) => `${counts[level] ?? 0} ${level}`).join(', ');
if (serious > 0 && status !== 0) {
  console.log(`FAIL npm audit: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high (and ${others})`);
  for (const [name, finding] of Object.entries(report.vulnerabilities ?? {})) {
    if (finding.severity !== 'high' && finding.severity !== 'critical') continue;
    const titles = (finding.via ?? []).filter((via) => typeof via === 'object').map((via) => via.title);
    const fix = finding.fixAvailable ? 'fix available' : 'no fix yet';
    console.log(
      `     ${name} (${finding.severity}, ${finding.range}): ${titles.join('; ') || 'via ' + finding.via.join(', ')} — ${fix}`,
    );
  }
  console.log('audit: 0 passed, 1 failed');
  process.exit(1);
}
console.log(
  `ok   npm audit: no high or critical advisory in ${production} production dependencies (${others})`,
);
console.log('audit: 1 passed, 0 failed');

function unavailable(why) {
  console.log(`audit unavailable (${why}): counted neither passed nor failed`);
  console.log('audit: 0 passed, 0 failed');
  process.exit(0);
}
