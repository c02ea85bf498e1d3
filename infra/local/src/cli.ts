#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { assertSupportedNode } from '@scale-lab/service';
import { assertPortFree, MissingBinaryError, PortBusyError } from '@scale-lab/local-services';
import { startControlServer } from './control/app.js';
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
  --cdn-port P         the cdn tier, an nginx cache in front of the site (default 8081)
  --assets WHERE       origin (default: the page's big image comes from the site, as lab 3 starts) or cdn
  --movie-work-ms MS   movie-api's MOVIE_WORK_MS: the work each request does (movie-api's default if unset)
  --movie-concurrency N
                       movie-api's MOVIE_WORK_CONCURRENCY: how many requests work at once per replica
  --control-port P     the control API that \`./scale-lab ctl\` talks to, on 127.0.0.1 (default 8099)
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

function port(value: string | undefined, name: string, fallback: number): number {
  const number = integer(value, name, fallback);
  if (number < 1 || number > 65_535) fail(`--${name} must be a port from 1 to 65535 (got ${value})`);
  return number;
}

/** An optional whole number for an app's environment variable: unset leaves the app's own default. */
function positiveEnv(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (integer(value, name, 0) < 1) fail(`--${name} must be a whole number from 1 (got ${value})`);
  return String(Number(value));
}

function printUrls(stack: LocalStack, controlUrl: string): void {
  const rows: [string, string][] = [
    ['site (front)', `${stack.siteUrl}/`],
    ['cdn tier', `${stack.cdnUrl}/`],
    ['woody-api via nginx', `${stack.siteUrl}/api/ping`],
    ['movie-api load balancer', `${stack.movieUrl}/moviesbytitle?title=The%20Good%20Dinosaur`],
    ['nginx status (site)', `${stack.siteUrl}/nginx_status`],
    ...stack.replicas('woody-api').map((r): [string, string] => [r.instanceId, `${r.url}/metrics`]),
    ...stack.replicas('movie-api').map((r): [string, string] => [r.instanceId, `${r.url}/metrics`]),
    ['control API (./scale-lab ctl)', `${controlUrl}/replicas`],
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
      'cdn-port': { type: 'string' },
      assets: { type: 'string' },
      'movie-work-ms': { type: 'string' },
      'movie-concurrency': { type: 'string' },
      'control-port': { type: 'string' },
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
  const assets = values.assets ?? 'origin';
  if (assets !== 'origin' && assets !== 'cdn') fail(`--assets must be origin or cdn (got ${assets})`);
  const movieEnv: Record<string, string> = { ...cacheEnv };
  const movieWorkMs = positiveEnv(values['movie-work-ms'], 'movie-work-ms');
  if (movieWorkMs !== undefined) movieEnv.MOVIE_WORK_MS = movieWorkMs;
  const movieConcurrency = positiveEnv(values['movie-concurrency'], 'movie-concurrency');
  if (movieConcurrency !== undefined) movieEnv.MOVIE_WORK_CONCURRENCY = movieConcurrency;
  const cdnPort = port(values['cdn-port'], 'cdn-port', 8081);
  const controlPort = port(values['control-port'], 'control-port', 8099);
  // Checked before the stack starts: finding it busy afterwards would mean a minute's start-up for nothing.
  await assertPortFree(controlPort, 'the control API');

  const stack = await startLocalStack({
    woodyReplicas: integer(values.woody, 'woody', 3),
    movieReplicas: integer(values.movie, 'movie', 2),
    sitePort: port(values['site-port'], 'site-port', 8080),
    moviePort: port(values['movie-port'], 'movie-port', 8000),
    woodyEnv,
    movieEnv,
    staticRateLimit: values['rate-limit'] ?? '300k',
    cdnPort,
    cdnBaseUrl: assets === 'cdn' ? `http://127.0.0.1:${cdnPort}` : '',
    log: (line) => process.stdout.write(`[scale-lab] ${line}\n`),
  });
  const control = await startControlServer(stack, { port: controlPort }).catch(async (error: unknown) => {
    await stack.stop(); // taken since the check above: nothing of the stack may outlive this process
    throw error;
  });
  printUrls(stack, control.url);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n[scale-lab] ${signal}: stopping everything\n`);
    await control.close();
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
  const code = (error as { code?: string }).code;
  // EADDRINUSE: the control port, taken between the check and the listen.
  if (expected || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'EADDRINUSE')
    fail((error as Error).message);
  throw error;
}
