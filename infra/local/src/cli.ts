#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { assertSupportedNode } from '@scale-lab/service';
import { MissingBinaryError, PortBusyError } from '@scale-lab/local-services';
import { StackError, startLocalStack, type LocalStack } from './stack.js';

assertSupportedNode();

const USAGE = `usage: scale-lab-local up [options]

Starts the whole stack as processes on 127.0.0.1 (MariaDB, Redis, the API replicas, nginx) and keeps it
running until Ctrl-C, which stops everything and removes the temporary data.

  --woody N            woody-api replicas (default 3)
  --movie N            movie-api replicas (default 2)
  --site-port P        the site: front at /, woody-api at /api/ (default 8080)
  --movie-port P       the movie-api load balancer (default 8000)
  --heavy-mode MODE    sleep (default) or cpu
  --heavy-ms MS        duration of one heavy computation in sleep mode (default 1000)
  --no-cache           run the APIs with CACHE_ENABLED=false
  --rate-limit RATE    nginx limit_rate for static files (default 300k)
`;

function fail(message: string): never {
  process.stderr.write(`scale-lab: ${message}\n`);
  process.exit(1);
}

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) fail(`--${name} must be a whole number (got ${value})`);
  return Number(value);
}

function printUrls(stack: LocalStack): void {
  const rows: [string, string][] = [
    ['site (front)', `${stack.siteUrl}/`],
    ['woody-api via nginx', `${stack.siteUrl}/api/ping`],
    ['movie-api load balancer', `${stack.movieUrl}/moviesbytitle?title=The%20Good%20Dinosaur`],
    ['nginx status (site)', `${stack.siteUrl}/nginx_status`],
    ...stack.replicas('woody-api').map((r): [string, string] => [r.instanceId, `${r.url}/metrics`]),
    ...stack.replicas('movie-api').map((r): [string, string] => [r.instanceId, `${r.url}/metrics`]),
    ['logs and data', stack.dir],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(
    `\nScale Lab is up:\n${rows.map(([name, url]) => `  ${name.padEnd(width)}  ${url}`).join('\n')}\n\nPress Ctrl-C to stop.\n`,
  );
}

async function up(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      woody: { type: 'string' },
      movie: { type: 'string' },
      'site-port': { type: 'string' },
      'movie-port': { type: 'string' },
      'heavy-mode': { type: 'string' },
      'heavy-ms': { type: 'string' },
      'no-cache': { type: 'boolean', default: false },
      'rate-limit': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const heavyMode = values['heavy-mode'] ?? 'sleep';
  if (heavyMode !== 'sleep' && heavyMode !== 'cpu')
    fail(`--heavy-mode must be sleep or cpu (got ${heavyMode})`);
  const cacheEnv: Record<string, string> = values['no-cache'] ? { CACHE_ENABLED: 'false' } : {};
  const woodyEnv: Record<string, string> = { ...cacheEnv, HEAVY_MODE: heavyMode };
  if (values['heavy-ms'] !== undefined)
    woodyEnv.HEAVY_MS = String(integer(values['heavy-ms'], 'heavy-ms', 1000));

  const stack = await startLocalStack({
    woodyReplicas: integer(values.woody, 'woody', 3),
    movieReplicas: integer(values.movie, 'movie', 2),
    sitePort: integer(values['site-port'], 'site-port', 8080),
    moviePort: integer(values['movie-port'], 'movie-port', 8000),
    woodyEnv,
    movieEnv: cacheEnv,
    staticRateLimit: values['rate-limit'] ?? '300k',
    log: (line) => process.stdout.write(`[scale-lab] ${line}\n`),
  });
  printUrls(stack);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n[scale-lab] ${signal}: stopping everything\n`);
    await stack.stop();
    process.stdout.write('[scale-lab] stopped, temporary data removed\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'up') await up(rest);
  else if (command === undefined || command === 'help' || command === '--help') process.stdout.write(USAGE);
  else fail(`unknown command ${command}\n${USAGE}`);
} catch (error) {
  const expected =
    error instanceof MissingBinaryError || error instanceof PortBusyError || error instanceof StackError;
  if (expected || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    fail((error as Error).message);
  throw error;
}
