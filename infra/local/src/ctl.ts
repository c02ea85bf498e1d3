#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { assertSupportedNode } from '@scale-lab/service';

assertSupportedNode();

const DEFAULT_CONTROL_URL = 'http://127.0.0.1:8099';
const SERVICES = ['woody-api', 'movie-api'];
const DEPENDENCIES = ['redis', 'mariadb'];
const ASSETS = ['cdn', 'origin'];

const USAGE = `usage: ./scale-lab ctl <command> [--control URL]

Controls a local stack started by \`./scale-lab up\`, from another terminal.

  replicas                         list the API replicas: service, instance, url, pid
  scale <woody-api|movie-api> <N>  run N replicas (1 to 16); returns once the proxy routes to all
  kill <instance>                  SIGKILL one replica's process (e.g. woody-2); it is restarted, as in Swarm
  freeze <redis|mariadb> <S>       SIGSTOP Redis or MariaDB for S seconds (1 to 60), then SIGCONT
  assets <cdn|origin>              serve the page's big image from the cdn tier, or from the site again
  help                             this text

  --control URL   the stack's control API (default ${DEFAULT_CONTROL_URL}, or $SCALE_LAB_CONTROL_URL)
`;

interface Replica {
  service: string;
  instanceId: string;
  url: string;
  pid: number;
}

/** A wrong command line: one line saying what, the usage, exit 2. */
class UsageError extends Error {}
/** The stack answered, or did not: one line, exit 1. */
class CtlError extends Error {}

function wholeNumber(value: string | undefined, what: string, min: number, max: number): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new UsageError(`${what} must be a whole number from ${min} to ${max} (got ${value ?? 'nothing'})`);
  return Number(value);
}

function oneOf(value: string | undefined, what: string, allowed: string[]): string {
  if (value === undefined || !allowed.includes(value))
    throw new UsageError(`${what} must be ${allowed.join(' or ')} (got ${value ?? 'nothing'})`);
  return value;
}

function assertArity(args: string[], count: number, command: string): void {
  if (args.length > count) throw new UsageError(`too many arguments for ${command}: ${args.join(' ')}`);
}

/** One call to the control API, bounded by `timeoutMs`; the API's own error message when it refuses. */
async function call<T>(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs: number,
  body?: object,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if ((error as Error).name === 'TimeoutError')
      throw new CtlError(`the stack's control API at ${base} did not answer within ${timeoutMs / 1000} s`);
    throw new CtlError(`no local stack answers on ${base}: start one with ./scale-lab up`);
  }
  const text = await response.text();
  let answer: { message?: string } & Record<string, unknown>;
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    throw new CtlError(`${base} answered ${response.status} with something else than the control API's JSON`);
  }
  if (!response.ok) throw new CtlError(answer.message ?? `${base}${path} answered ${response.status}`);
  return answer as T;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function run(command: string | undefined, args: string[], base: string): Promise<void> {
  switch (command) {
    case 'replicas': {
      assertArity(args, 0, 'replicas');
      const { replicas } = await call<{ replicas: Replica[] }>(base, 'GET', '/replicas', 10_000);
      const rows = replicas.map((r) => [r.service, r.instanceId, r.url, String(r.pid)]);
      say(table([['SERVICE', 'INSTANCE', 'URL', 'PID'], ...rows]));
      return;
    }
    case 'scale': {
      assertArity(args, 2, 'scale');
      const service = oneOf(args[0], 'the service', SERVICES);
      const replicas = wholeNumber(args[1], 'the number of replicas', 1, 16);
      say(`scaling ${service} to ${replicas} replicas (waits until every one is ready and routed)…`);
      // Starting replicas takes a few seconds each on a busy machine: up to 60 s is normal, 120 s is not.
      const answer = await call<{ replicas: Replica[]; seconds: number }>(base, 'POST', '/scale', 120_000, {
        service,
        replicas,
      });
      say(
        `${service}: ${answer.replicas.length} replicas, all served through the proxy, in ${answer.seconds.toFixed(1)} s`,
      );
      return;
    }
    case 'kill': {
      assertArity(args, 1, 'kill');
      if (!args[0])
        throw new UsageError('kill needs an instance, e.g. woody-2 (see ./scale-lab ctl replicas)');
      const answer = await call<{ instance: string; pid: number }>(base, 'POST', '/kill', 10_000, {
        instance: args[0],
      });
      say(`${answer.instance}: killed pid ${answer.pid} (SIGKILL); its supervisor restarts it`);
      return;
    }
    case 'freeze': {
      assertArity(args, 2, 'freeze');
      const dependency = oneOf(args[0], 'the dependency', DEPENDENCIES);
      const seconds = wholeNumber(args[1], 'the seconds', 1, 60);
      say(`freezing ${dependency} for ${seconds} s (SIGSTOP, then SIGCONT)…`);
      await call(base, 'POST', '/freeze', (seconds + 30) * 1000, { dependency, seconds });
      say(`${dependency}: thawed after ${seconds} s`);
      return;
    }
    case 'assets': {
      assertArity(args, 1, 'assets');
      const assets = oneOf(args[0], 'assets', ASSETS);
      const answer = await call<{ baseUrl: string }>(base, 'POST', '/assets', 30_000, { assets });
      say(
        assets === 'cdn'
          ? `the page's big image now comes from the cdn: ${answer.baseUrl}`
          : "the page's big image now comes from the site (origin)",
      );
      return;
    }
    default:
      throw new UsageError(command === undefined ? 'a command is needed' : `unknown command ${command}`);
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { control: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (error) {
    process.stderr.write(`scale-lab ctl: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.help || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const base = (parsed.values.control ?? process.env.SCALE_LAB_CONTROL_URL ?? DEFAULT_CONTROL_URL).replace(
    /\/+$/,
    '',
  );
  try {
    if (!/^https?:\/\/\S+$/.test(base)) throw new UsageError(`--control must be an http URL (got ${base})`);
    await run(command, args, base);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`scale-lab ctl: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof CtlError) {
      process.stderr.write(`scale-lab ctl: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
