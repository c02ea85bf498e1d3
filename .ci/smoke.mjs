#!/usr/bin/env node
// CI only: smoke-tests a deployed Scale Lab (Swarm stack or compose project) through its published ports,
// then scales and updates woody-api under light load and counts every failed request.
//   node .ci/smoke.mjs --mode swarm --name scale-lab-ci --site http://127.0.0.1:18080 \
//        --movie http://127.0.0.1:18000 --cdn http://127.0.0.1:18081
// Prints one line per check and closes with "smoke: N passed, N failed"; exits 1 if any failed.
import { execFile } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';

const execFileAsync = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'swarm' },
    name: { type: 'string', default: 'scale-lab-ci' },
    site: { type: 'string', default: 'http://127.0.0.1:18080' },
    movie: { type: 'string', default: 'http://127.0.0.1:18000' },
    cdn: { type: 'string', default: 'http://127.0.0.1:18081' },
    docker: { type: 'string', default: process.env.DOCKER ?? 'docker' },
  },
});
const swarm = args.mode === 'swarm';
let passed = 0;
let failed = 0;

function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  return ok;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function request(url, init = {}, timeoutMs = 15_000) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, body, text: () => body.toString('utf8') };
}

/** One request with an optional JSON body. */
function send(base, method, path, body) {
  return request(`${base}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
}

/** Runs a docker command without blocking the event loop: the light load must go on meanwhile. */
async function run(command, ...commandArgs) {
  try {
    return (await execFileAsync(command, commandArgs, { encoding: 'utf8' })).stdout;
  } catch (error) {
    throw new Error(`${command} ${commandArgs.join(' ')}: ${error.stderr || error.message}`);
  }
}

async function waitUntil(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return true;
    } catch (error) {
      last = String(error?.cause?.code ?? error);
    }
    await sleep(1000);
  }
  console.log(`     gave up waiting for ${what} after ${timeoutMs / 1000} s ${last}`);
  return false;
}

async function distinctInstances(count) {
  const seen = new Set();
  for (let i = 0; i < count; i++) {
    const response = await request(`${args.site}/api/ping`);
    if (response.status === 200) seen.add(response.headers.get('x-instance'));
  }
  return seen;
}

/**
 * One GET on a new connection, as from a new client. (A client's idle keep-alive connection can be closed
 * by a reloading nginx at the instant it sends on it; browsers resend such requests, plain HTTP clients
 * do not. That is the proxy's reload, not a replica coming or going: see docs/containers.md.)
 */
function getOnNewConnection(url) {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent: false, timeout: 15_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timeout after 15 s')));
    request.on('error', reject);
  });
}

/** Light load (4 concurrent clients looping over GETs) until stop(): every non-2xx and every error counts. */
function lightLoad() {
  const tally = { ok: 0, failed: 0, examples: [] };
  let running = true;
  const paths = ['/api/ping', '/api/misc/time', '/api/products'];
  const loops = Array.from({ length: 4 }, async (_, worker) => {
    for (let i = 0; running; i++) {
      const path = paths[(i + worker) % paths.length];
      try {
        const response = await getOnNewConnection(`${args.site}${path}`);
        if (response.status >= 200 && response.status < 300) tally.ok++;
        else {
          tally.failed++;
          if (tally.examples.length < 5)
            tally.examples.push(`${path} → ${response.status} ${response.body.slice(0, 80)}`);
        }
      } catch (error) {
        tally.failed++;
        if (tally.examples.length < 5) tally.examples.push(`${path} → ${error.code ?? error.message}`);
      }
      await sleep(20);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return tally;
    },
  };
}

async function scaleWoody(replicas) {
  if (swarm)
    await run(args.docker, 'service', 'scale', '--detach=false', `${args.name}_woody-api=${replicas}`);
  else
    await run(
      'docker-compose',
      '-p',
      args.name,
      'up',
      '-d',
      '--no-recreate',
      '--scale',
      `woody-api=${replicas}`,
      'woody-api',
    );
}

// 1. The stack answers on every published port.
const up = await waitUntil(
  'the proxy, both APIs and the cdn',
  async () =>
    (await request(`${args.site}/api/products/last`)).status === 200 &&
    (await request(`${args.movie}/json`)).status === 200 &&
    (await request(`${args.cdn}/`)).status === 200,
  180_000,
);
check('stack is up and healthy behind the proxy', up);
if (!up) finish();

// 2. Every endpoint through the proxy, on both ports.
const page = await request(`${args.site}/`);
check(
  'site: GET / serves the front page',
  page.status === 200 && page.text().includes('<html'),
  `${page.status}`,
);
const bigImage = page.text().match(/assets\/big-image\.[0-9a-f]+\.png/)?.[0];
check('site: the page names the hashed big image', Boolean(bigImage), bigImage ?? 'not found');
const endpoints = [
  ['GET', '/api/ping', 200],
  ['GET', '/api/misc/time', 200],
  ['GET', '/api/misc/heavy?name=ci-smoke', 200],
  ['GET', '/api/products', 200],
  ['POST', '/api/products', 201, { name: `ci-product-${Date.now()}` }],
  ['GET', '/api/products/last', 200],
  ['POST', '/api/orders', 202, { product: 'ci-order' }],
  ['GET', '/api/orders?order_id=1', 200],
  ['POST', '/api/products', 400, { nom: 'wrong field' }],
];
for (const [method, path, expected, body] of endpoints) {
  const response = await send(args.site, method, path, body);
  const upstream = response.headers.get('x-upstream');
  check(
    `site: ${method} ${path} → ${expected}`,
    response.status === expected && Boolean(upstream),
    `${response.status}, X-Upstream ${upstream}, X-Instance ${response.headers.get('x-instance')}`,
  );
}
const movieId = `ci-${Date.now()}`;
const movieEndpoints = [
  ['GET', '/json', 200],
  ['GET', '/moviesbytitle?title=The%20Good%20Dinosaur', 200],
  ['GET', '/moviesbydirector?director=Peter%20Sohn', 200],
  ['POST', `/movies/${movieId}`, 201, { title: 'CI Movie', director: 'Scale Lab', rating: 5 }],
  ['GET', `/movies/${movieId}`, 200],
  ['PUT', `/movies/${movieId}/8`, 200],
  ['DELETE', `/movies/${movieId}`, 200],
  ['GET', `/movies/${movieId}`, 404],
];
for (const [method, path, expected, body] of movieEndpoints) {
  const response = await send(args.movie, method, path, body);
  check(
    `movie LB: ${method} ${path} → ${expected}`,
    response.status === expected,
    `${response.status}, X-Upstream ${response.headers.get('x-upstream')}`,
  );
}
const viaSite = await request(`${args.site}/movie-api/moviesbytitle?title=The%20Good%20Dinosaur`);
check(
  'site: /movie-api/ reaches the movie service',
  viaSite.status === 200 && viaSite.text().includes('Peter Sohn'),
  `${viaSite.status}`,
);

// 3. The cdn tier: the big image is fetched from the origin once, then served from the cache. The first
// fetch comes through the origin's rate limit (6.3 MB at the default 300 KB/s: about 21 s), so it may
// take up to a minute; a failure is a failed check, not the end of the script.
if (bigImage) {
  const fetchImage = () =>
    request(`${args.cdn}/${bigImage}`, {}, 60_000).catch((error) => ({
      status: 0,
      headers: new Headers({ 'x-cache': `(${error.message})` }),
      body: Buffer.alloc(0),
    }));
  const first = await fetchImage();
  const second = await fetchImage();
  check(
    'cdn: big image cached after the first fetch, immutable',
    first.status === 200 &&
      second.status === 200 &&
      second.headers.get('x-cache') === 'HIT' &&
      (second.headers.get('cache-control') ?? '').includes('immutable') &&
      second.body.length > 1_000_000,
    `first ${first.headers.get('x-cache')}, second ${second.headers.get('x-cache')}, ${second.body.length} bytes`,
  );
}

// 4. Scale woody-api 3 → 5: five distinct replicas answer within 10 s, nobody touched the proxy.
// A replica that just became ready may still be marked failed in nginx for a few seconds: wait for all 3.
let before = new Set();
await waitUntil(
  '3 distinct X-Instance values',
  async () => (before = await distinctInstances(30)).size === 3,
  30_000,
);
check('woody-api: 3 replicas answer before scaling', before.size === 3, [...before].join(' '));
await scaleWoody(5);
const scaledAt = Date.now();
let five = new Set();
const sawFive = await waitUntil(
  '5 distinct X-Instance values',
  async () => (five = await distinctInstances(30)).size === 5,
  10_000,
);
check(
  'woody-api 3→5: 5 distinct X-Instance values within 10 s',
  sawFive,
  `${five.size} after ${((Date.now() - scaledAt) / 1000).toFixed(1)} s`,
);

// 5. Scale 5 → 2 under light load: zero failed requests.
let load = lightLoad();
await sleep(2000);
await scaleWoody(2);
await sleep(8000);
let tally = await load.stop();
const two = await distinctInstances(30);
check(
  'woody-api 5→2 under light load: zero failed requests',
  tally.failed === 0 && tally.ok > 50,
  `${tally.ok} ok, ${tally.failed} failed ${tally.examples.join('; ')}`,
);
check('woody-api: 2 replicas answer after scaling down', two.size === 2, [...two].join(' '));

// 6. Rolling update (Swarm: start-first, one at a time) under light load: zero failed requests.
if (swarm) {
  load = lightLoad();
  await sleep(2000);
  await run(
    args.docker,
    'service',
    'update',
    '--detach=false',
    '--env-add',
    `ROLLOUT=${Date.now()}`,
    `${args.name}_woody-api`,
  );
  await sleep(5000);
  tally = await load.stop();
  const after = await distinctInstances(30);
  const replaced = [...after].every((instance) => !two.has(instance));
  check(
    'rolling update under light load: zero failed requests',
    tally.failed === 0 && tally.ok > 50,
    `${tally.ok} ok, ${tally.failed} failed ${tally.examples.join('; ')}`,
  );
  check('rolling update: every replica was replaced', replaced && after.size === 2, [...after].join(' '));
}

finish();

function finish() {
  console.log(`smoke (${args.mode}): ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
