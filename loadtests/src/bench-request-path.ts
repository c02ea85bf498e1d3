#!/usr/bin/env node
/**
 * `./scale-lab bench` (issue 12): what Scale Lab's request path costs next to the least a server can do,
 * measured with wrk (`-t1 -c50 -d5s`, as the issue measured). It starts everything itself: a bare Node
 * server, an nginx answering `return 200` and proxying to that Node server, and the local stack (MariaDB,
 * Redis, three woody-api replicas behind the product proxy). Every round measures every target, in an order
 * that alternates between rounds; then it prints req/s and the ratios against the goals, and tears it all
 * down. A missed goal is a result, not an error: the exit code is non-zero only when something failed.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { freePort, MissingBinaryError, PortBusyError } from '@scale-lab/local-services';
import { startLocalStack, StackError, type LocalStack } from '@scale-lab/local-stack';
import { assertSupportedNode } from '@scale-lab/service';
import { BENCH_TARGETS, benchTable, type BenchRates, type BenchTarget } from './bench-report.js';
import { startReferenceServers, type ReferenceServers } from './reference.js';
import { findWrk, wrkRequestsPerSecond } from './wrk.js';

assertSupportedNode();

const USAGE = `usage: scale-lab bench [--rounds N]

Measures with wrk -t1 -c50 -d5s, N rounds (default 3), every target once per round: a bare Node server,
woody-api direct, nginx return 200, nginx → bare Node and the product proxy → woody-api. Prints req/s
and the ratios against issue 12's goals. Takes about 30 s per round plus a minute of start-up.
`;

const CONNECTIONS = 50;
const SECONDS = 5;
const WARM_UP_SECONDS = 2;
const WOODY_REPLICAS = 3;
const STOP_TIMEOUT_MS = 60_000;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function fail(message: string, code = 1): never {
  process.stderr.write(`scale-lab bench: ${message}\n`);
  process.exit(code);
}

function optionsFrom(args: string[]) {
  try {
    return parseArgs({
      args,
      options: { rounds: { type: 'string', default: '3' }, help: { type: 'boolean', default: false } },
    }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
}

function roundsFrom(args: string[]): number {
  const values = optionsFrom(args);
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
    fail(`--rounds must be a whole number from 1 to 20 (got ${values.rounds})\n${USAGE}`, 2);
  return rounds;
}

interface Targets {
  urls: Record<BenchTarget, string>;
  labels: Record<BenchTarget, string>;
}

function targetsOf(references: ReferenceServers, stack: LocalStack): Targets {
  const woody = stack.replicas('woody-api')[0];
  if (!woody) throw new Error('the stack started without a woody-api replica');
  const workers = `${references.nginxWorkers} workers`;
  return {
    urls: {
      bareNode: references.bareNodeUrl,
      woody: `${woody.url}/api/misc/time`,
      nginx: references.nginxUrl,
      nginxToNode: references.proxyUrl,
      proxy: `${stack.siteUrl}/api/misc/time`,
    },
    labels: {
      bareNode: 'bare Node (node:http answering the time)',
      woody: `woody-api direct (${woody.instanceId}, /api/misc/time)`,
      nginx: `nginx return 200 (${workers})`,
      nginxToNode: `nginx → bare Node, keepalive (${workers})`,
      proxy: `proxy → woody-api ×${WOODY_REPLICAS} (worker_processes auto)`,
    },
  };
}

/**
 * Every target once per round. The order reverses every other round, so no target always runs first or
 * right after another; the pairs the goals compare stay next to each other in both orders.
 */
async function measure(
  wrk: string,
  targets: Targets,
  rounds: number,
  signal: AbortSignal,
): Promise<BenchRates> {
  const rateOf = (target: BenchTarget, seconds: number) =>
    wrkRequestsPerSecond(wrk, targets.urls[target], { connections: CONNECTIONS, seconds, signal });

  log(`warming up every target for ${WARM_UP_SECONDS} s (JIT, nginx's upstream connections)`);
  for (const target of BENCH_TARGETS) await rateOf(target, WARM_UP_SECONDS);

  const rates = Object.fromEntries(BENCH_TARGETS.map((target) => [target, [] as number[]])) as BenchRates;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? BENCH_TARGETS : [...BENCH_TARGETS].reverse();
    for (const target of order) {
      const rate = await rateOf(target, SECONDS);
      rates[target][round] = rate;
      log(`round ${round + 1}/${rounds}: ${targets.labels[target]}: ${Math.round(rate)} req/s`);
    }
  }
  return rates;
}

/** What the figures were measured with and on, so that two outputs can be told apart. */
function heading(rounds: number, loadAtStart: number): string {
  return (
    `Request path: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, ${rounds} rounds in alternating order, ` +
    `${availableParallelism()} CPUs, load average ${loadAtStart.toFixed(1)} at the start.\n` +
    'On a shared machine the req/s move with the neighbours; the ratios, taken round by round, much less.'
  );
}

/** Stops what started; bounded, so a stuck process cannot keep the bench from exiting. */
async function tearDown(references: ReferenceServers | undefined, stack: LocalStack | undefined) {
  if (!references && !stack) return;
  log('tearing down');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
  });
  const stopped = Promise.allSettled([references?.stop(), stack?.stop()]);
  const outcome = await Promise.race([stopped, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') log(`teardown did not finish within ${STOP_TIMEOUT_MS / 1000} s`);
}

async function main(signal: AbortSignal): Promise<void> {
  const rounds = roundsFrom(process.argv.slice(2));
  const wrk = findWrk(); // before anything starts: a missing wrk is said at once
  let references: ReferenceServers | undefined;
  let stack: LocalStack | undefined;
  try {
    log('starting the reference servers: bare Node, nginx return 200, nginx → bare Node');
    references = await startReferenceServers({ log });
    signal.throwIfAborted();
    log(
      `starting the stack: MariaDB, Redis, ${WOODY_REPLICAS} woody-api replicas (LOG_LEVEL=warn), the proxy`,
    );
    stack = await startLocalStack({
      woodyReplicas: WOODY_REPLICAS,
      movieReplicas: 0,
      sitePort: await freePort(),
      moviePort: await freePort(),
      woodyEnv: { LOG_LEVEL: 'warn' },
      log,
    });
    signal.throwIfAborted();
    const targets = targetsOf(references, stack);
    const loadAtStart = loadavg()[0]!;
    log(`measuring: ${rounds} rounds of wrk -t1 -c${CONNECTIONS} -d${SECONDS}s per target`);
    const rates = await measure(wrk, targets, rounds, signal);
    process.stdout.write(`\n${heading(rounds, loadAtStart)}\n\n${benchTable(targets.labels, rates)}\n`);
  } finally {
    await tearDown(references, stack);
  }
}

const controller = new AbortController();
process.once('SIGINT', () => {
  log('interrupted: stopping wrk, then tearing down');
  controller.abort();
});
main(controller.signal).catch((error: Error) => {
  if (controller.signal.aborted) process.exit(130);
  const known =
    error instanceof MissingBinaryError || error instanceof PortBusyError || error instanceof StackError;
  fail(known ? error.message : String(error.stack ?? error));
});
