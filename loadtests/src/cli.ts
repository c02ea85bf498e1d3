#!/usr/bin/env node
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MissingBinaryError, PortBusyError } from '@scale-lab/local-services';
import { assertSupportedNode } from '@scale-lab/service';
import { scenarios as allScenarios } from '../scenarios/index.js';
import { compareReports, terminalSummary, writeReport, type Report } from './report/write.js';
import { runScenarios } from './run.js';
import type { ScenarioResult } from './schema.js';
import { ContainerStackError, STACK_MODES, type StackMode } from './stacks/index.js';

assertSupportedNode();

const USAGE = `usage:
  scale-lab-loadtests run [--quick] [--target local|compose|swarm] [--scenario NAME]... [--results DIR] [--reports DIR]
      bring the stack up, run every scenario (or the named ones), write the results and the report;
      compose and swarm run the images (npx nx run-many -t docker-build) under the name scale-lab-bench
  scale-lab-loadtests compare RESULTS_DIR|REPORT_JSON [OTHER]
      write a report from result files; with two arguments, compare them (before → after)

scenarios: ${allScenarios.map((s) => s.name).join(', ')}
`;

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');

function fail(message: string, code = 1): never {
  process.stderr.write(`scale-lab: ${message}\n`);
  process.exit(code);
}

async function loadResults(path: string): Promise<Report | ScenarioResult[]> {
  if ((await stat(path)).isDirectory()) {
    const files = (await readdir(path)).filter((file) => file.endsWith('.json') && file !== 'report.json');
    if (files.length === 0) {
      const report = join(path, 'report.json');
      return JSON.parse(await readFile(report, 'utf8')) as Report;
    }
    return Promise.all(
      files.map(async (file) => JSON.parse(await readFile(join(path, file), 'utf8')) as ScenarioResult),
    );
  }
  return JSON.parse(await readFile(path, 'utf8')) as Report;
}

async function run(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      target: { type: 'string', default: 'local' },
      scenario: { type: 'string', multiple: true },
      results: { type: 'string' },
      reports: { type: 'string' },
    },
  });
  const target = values.target as StackMode;
  if (!STACK_MODES.includes(target))
    fail(`unknown --target ${values.target} (known: ${STACK_MODES.join(', ')})\n${USAGE}`, 2);
  const selected = values.scenario?.length
    ? allScenarios.filter((s) => values.scenario!.includes(s.name))
    : allScenarios;
  const unknown = (values.scenario ?? []).filter((name) => !allScenarios.some((s) => s.name === name));
  if (unknown.length > 0)
    fail(`unknown scenario ${unknown.join(', ')} (known: ${allScenarios.map((s) => s.name).join(', ')})`);
  const id = stamp();
  const resultsDir = resolve(values.results ?? join('results', id));
  const reportDir = resolve(values.reports ?? join('reports', id));
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write(
      '\nscale-lab: stopping after the current measurement, then tearing the stack down…\n',
    );
    controller.abort();
  });
  process.once('SIGTERM', () => controller.abort());
  const started = Date.now();
  const results = await runScenarios({
    scenarios: selected,
    quick: values.quick,
    target,
    resultsDir,
    log: (line) => process.stderr.write(`[scale-lab] ${line}\n`),
    signal: controller.signal,
  });
  const report = await writeReport(results, reportDir);
  process.stdout.write(`\n${terminalSummary(report.rows)}\n\n`);
  process.stdout.write(
    `measured in ${Math.round((Date.now() - started) / 1000)} s; results: ${resultsDir}\nreport: ${join(reportDir, 'report.html')} (also report.md, report.json)\n`,
  );
  if (controller.signal.aborted) process.exit(130);
}

async function compare(args: string[]) {
  const [first, second] = args;
  if (!first) fail(USAGE);
  const loaded = await loadResults(first);
  const report = Array.isArray(loaded)
    ? await writeReport(loaded, resolve(join('reports', stamp())))
    : loaded;
  if (!second) {
    process.stdout.write(`${terminalSummary(report.rows)}\n`);
    return;
  }
  const other = await loadResults(second);
  const after = Array.isArray(other) ? await writeReport(other, resolve(join('reports', stamp()))) : other;
  process.stdout.write(`${compareReports(report, after)}\n`);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'run') await run(rest);
  else if (command === 'compare') await compare(rest);
  else process.stdout.write(USAGE);
} catch (error) {
  if (
    error instanceof MissingBinaryError ||
    error instanceof PortBusyError ||
    error instanceof ContainerStackError
  )
    fail(error.message);
  if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
    fail(`${(error as Error).message}\n${USAGE}`);
  throw error;
}
