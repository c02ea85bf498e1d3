#!/usr/bin/env node
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MissingBinaryError, PortBusyError } from '@scale-lab/local-services';
import { assertSupportedNode } from '@scale-lab/service';
import { scenarios as allScenarios } from '../scenarios/index.js';
import { DEFAULT_LIVE_PORT, runFinished, startLiveFeed } from './live.js';
import { compareReports } from './report/compare.js';
import { buildReport, terminalSummary, writeReport, type Report } from './report/write.js';
import { runScenarios } from './run.js';
import { RESULT_SCHEMA_VERSION, type ScenarioResult } from './schema.js';
import { ContainerStackError, STACK_MODES, type StackMode } from './stacks/index.js';

assertSupportedNode();

const USAGE = `usage:
  scale-lab-loadtests run [--quick] [--target local|compose|swarm] [--scenario NAME]... [--results DIR] [--reports DIR]
                          [--live-port P]
      bring the stack up, run every scenario (or the named ones), write the results and the report;
      compose and swarm run the images (npx nx run-many -t docker-build) under the name scale-lab-bench;
      the progress is published on 127.0.0.1:P (default ${DEFAULT_LIVE_PORT}, 0: off): GET /events
      (server-sent events) and GET /status
  scale-lab-loadtests compare A [B]
      A and B: a results directory, a report directory or a report.json. With one, print its summary;
      with two, compare them (before → after); a change within both runs' min–max spreads is "no difference"

scenarios: ${allScenarios.map((s) => s.name).join(', ')}
`;

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');

function fail(message: string, code = 1): never {
  process.stderr.write(`scale-lab: ${message}\n`);
  process.exit(code);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    fail(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Results written by an older runner have other fields: say so instead of printing NaN. */
function checkVersion(results: ScenarioResult[], path: string): ScenarioResult[] {
  const old = results.find((r) => r.schemaVersion !== RESULT_SCHEMA_VERSION);
  if (old)
    fail(
      `${path} holds results of schema version ${old.schemaVersion ?? 'unknown'}; this runner reads version ${RESULT_SCHEMA_VERSION}: measure again with ./scale-lab run`,
    );
  return results;
}

/** A results directory, a report directory, or a report.json: the results in it. */
async function loadResults(path: string): Promise<ScenarioResult[]> {
  const info = await stat(path).catch(() => fail(`${path} does not exist`));
  if (!info.isDirectory()) return checkVersion(((await readJson(path)) as Report).results ?? [], path);
  const files = (await readdir(path)).filter((file) => file.endsWith('.json') && file !== 'report.json');
  if (files.length === 0) return loadResults(join(path, 'report.json'));
  return checkVersion(
    await Promise.all(files.map(async (file) => (await readJson(join(path, file))) as ScenarioResult)),
    path,
  );
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
      'live-port': { type: 'string', default: String(DEFAULT_LIVE_PORT) },
    },
  });
  const livePort = Number(values['live-port']);
  if (!/^\d+$/.test(values['live-port']) || livePort > 65535)
    fail(`--live-port ${values['live-port']} is not a port (allowed: 0 for no feed, or 1–65535)`, 2);
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
  const log = (line: string) => process.stderr.write(`[scale-lab] ${line}\n`);
  const live = await startLiveFeed({ port: livePort, log });
  let report: Report;
  try {
    const results = await runScenarios({
      scenarios: selected,
      quick: values.quick,
      target,
      resultsDir,
      log,
      signal: controller.signal,
      publish: (event) => live.publish(event),
    });
    report = await writeReport(results, reportDir);
    live.publish(runFinished(join(reportDir, 'report.html')));
  } finally {
    await live.close();
  }
  process.stdout.write(`\n${terminalSummary(report.rows)}\n\n`);
  process.stdout.write(
    `measured in ${Math.round((Date.now() - started) / 1000)} s; results: ${resultsDir}\nreport: ${join(reportDir, 'report.html')} (also report.md, report.json)\n`,
  );
  if (controller.signal.aborted) process.exit(130);
}

async function compare(args: string[]) {
  const [first, second] = args;
  if (!first || args.length > 2) fail(USAGE, 2);
  const report = buildReport(await loadResults(first));
  if (!second) {
    process.stdout.write(`${terminalSummary(report.rows)}\n`);
    return;
  }
  const after = buildReport(await loadResults(second));
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
