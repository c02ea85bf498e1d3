#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CheckContext } from './check.js';
import { answered, call } from './http.js';
import { LABS } from './labs.js';
import { formatRecord, formatSummary, runLab } from './run.js';

const USAGE = `usage: ./scale-lab check --lab N [options]

Grades a running stack against course lab N (docs/labs/): one PASS/FAIL/SKIP line per check with what it
measured, and on a FAIL what to look at. Exits 1 when a check fails, 2 on bad input or when nothing answers.

  --lab N           the lab: ${LABS.map((lab) => `${lab.number} (${lab.title})`).join(', ')}
  --site URL        the site: front at /, woody-api at /api/ (default http://127.0.0.1:8080)
  --movie URL       the movie-api load balancer (default http://127.0.0.1:8000)
  --replicas N      the replicas the lab expects (default: 3 for labs 2, 3, 5; 2 for labs 1, 4)
  --scale CMD       lab 4: a shell command that adds replicas, e.g. "./scale-lab ctl scale woody-api 5"
  --allow-faults    labs 2, 5: kill a replica and freeze Redis (on this machine only)
  --control URL     the local stack's control API (default http://127.0.0.1:8099)
  --json FILE       also write the results as JSON, for teachers
  --help            this text
`;

class UsageError extends Error {}

function httpUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${option} must be an http(s) URL (got ${value})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--${option} must be an http(s) URL (got ${value})`);
  }
  return url.href.replace(/\/+$/, '');
}

function integer(option: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(`--${option} must be an integer from ${min} to ${max} (got ${value})`);
  }
  return number;
}

function parse(argv: string[]) {
  let values;
  try {
    // `check` is how ./scale-lab passes its own command on; accept it as the first word.
    ({ values } = parseArgs({
      args: argv[0] === 'check' ? argv.slice(1) : argv,
      options: {
        lab: { type: 'string' },
        site: { type: 'string', default: 'http://127.0.0.1:8080' },
        movie: { type: 'string', default: 'http://127.0.0.1:8000' },
        control: { type: 'string', default: 'http://127.0.0.1:8099' },
        replicas: { type: 'string' },
        scale: { type: 'string' },
        'allow-faults': { type: 'boolean', default: false },
        json: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
  if (values.help) return undefined;
  if (values.lab === undefined)
    throw new UsageError(`--lab is required: one of ${LABS.map((l) => l.number).join(', ')}`);
  const lab = LABS.find((candidate) => String(candidate.number) === values.lab);
  if (!lab)
    throw new UsageError(`unknown lab ${values.lab}: the labs are ${LABS.map((l) => l.number).join(', ')}`);
  const json = values.json === undefined ? undefined : resolve(values.json);
  if (json !== undefined && !existsSync(dirname(json))) {
    throw new UsageError(`--json ${values.json}: the folder ${dirname(json)} does not exist`);
  }
  if (values.scale !== undefined && values.scale.trim() === '')
    throw new UsageError('--scale needs a command');
  return {
    lab,
    json,
    context: {
      lab: lab.number,
      site: httpUrl('site', values.site),
      movie: httpUrl('movie', values.movie),
      control: httpUrl('control', values.control),
      replicas: values.replicas === undefined ? lab.replicas : integer('replicas', values.replicas, 1, 64),
      scale: values.scale,
      allowFaults: values['allow-faults'],
      progress: (message: string) => process.stderr.write(`  … ${message}\n`),
    } satisfies CheckContext,
  };
}

async function main(): Promise<number> {
  let options;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`scale-lab check: ${error.message} (see ./scale-lab check --help)\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { lab, context, json } = options;
  const entry = lab.entry === 'movie' ? context.movie : context.site;
  if (!answered(await call(`${entry}/`, { timeoutMs: 5000 }))) {
    process.stderr.write(`scale-lab check: nothing answers at ${entry}: is the stack up? (./scale-lab up)\n`);
    return 2;
  }
  process.stdout.write(
    `lab ${lab.number} (${lab.title}) against ${entry}, ${context.replicas} replicas expected\n`,
  );
  const report = await runLab(lab, context, (record) => process.stdout.write(`${formatRecord(record)}\n`));
  process.stdout.write(`${formatSummary(report)}\n`);
  if (json) await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  return report.failed > 0 ? 1 : 0;
}

// Exit as soon as the report is out: a check that timed out may still hold a bounded request open.
main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`scale-lab check: ${error.stack ?? error.message}\n`);
    process.exit(2);
  },
);
