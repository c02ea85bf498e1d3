// Every nginx template, rendered for every way it is deployed, is a config nginx accepts: the images'
// defaults (their Dockerfile's ENV), docker-compose.yml and stack.yml (their environment on top), and the
// local stack (infra/local's variables). Rendered by the images' own entrypoint (--check: render, then
// nginx -t), with Debian's nginx 1.22, the oldest the images must run on.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findBinary } from '@scale-lab/local-services';
import { cdnImage, frontImage, proxyImage } from '@scale-lab/local-stack';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../../..');
const entrypoint = join(root, 'infra/docker/nginx-entrypoint.sh');
const nginxDir = dirname(findBinary(['nginx'], 'nginx'));
const work = mkdtempSync(join(tmpdir(), 'scale-lab-templates-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Env = Record<string, string>;
const IMAGES = ['front', 'proxy', 'cdn'] as const;
type Image = (typeof IMAGES)[number];

/** The ENV instructions of a Dockerfile, continuation lines joined. */
function dockerfileEnv(image: Image): Env {
  const text = readFileSync(join(root, 'apps', image, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const env: Env = {};
  for (const [, assignments] of text.matchAll(/^ENV\s+(.*)$/gm)) {
    for (const [, name, value] of assignments!.matchAll(/(\w+)=("[^"]*"|\S*)/g)) {
      env[name!] = value!.replace(/^"|"$/g, '');
    }
  }
  return env;
}

/** A service's environment in a compose or stack file, its ${VAR:-default}s at their defaults. */
function composeEnv(file: string, service: Image): Env {
  const document = parse(readFileSync(join(root, file), 'utf8')) as {
    services: Record<string, { environment?: Record<string, string | number | null> }>;
  };
  const environment = document.services[service]?.environment ?? {};
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      String(value ?? '').replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_, fallback?: string) => fallback ?? ''),
    ]),
  );
}

/** The local stack's variables for each image (ports of this machine, paths in its temporary folder). */
function localEnv(image: Image): Env {
  const settings = {
    front: () => frontImage({ port: 18080, cdnBaseUrl: 'http://127.0.0.1:18081', staticRateLimit: '300k' }),
    proxy: () => proxyImage({ sitePort: 18082, moviePort: 18083 }),
    cdn: () => cdnImage({ port: 18084, dir: join(work, 'local') }),
  }[image]();
  return { ...settings.variables, TEMPLATE_VARS: Object.keys(settings.variables).join(' ') };
}

/**
 * Runs the entrypoint's --check. The upstream lists are the image's (the local stack writes the same
 * names), with 127.0.0.1 for the replica names: no Docker DNS here.
 */
function check(image: Image, env: Env) {
  const runDir = mkdtempSync(join(work, `${image}-`));
  const upstreams = (dockerfileEnv(image).UPSTREAMS ?? '').replace(/=[^: ]+:/g, '=127.0.0.1:');
  // nginx opens /dev/stderr itself, which it cannot on the pipe Node would give it: a file instead.
  const output = join(runDir, 'output.log');
  const fd = openSync(output, 'w');
  const result = spawnSync('sh', [entrypoint, '--check'], {
    stdio: ['ignore', fd, fd],
    timeout: 20_000,
    env: {
      ...env,
      PATH: `${join(root, 'infra/docker')}:${nginxDir}:${process.env.PATH}`,
      RUN_DIR: runDir,
      NGINX_TEMPLATE: join(root, 'apps', image, 'nginx.conf.template'),
      UPSTREAMS: upstreams,
      // nginx -t creates the cache folder: keep it out of /var/cache on this machine.
      ...(env.CDN_CACHE_DIR ? { CDN_CACHE_DIR: join(runDir, 'cache') } : {}),
    },
  });
  closeSync(fd);
  return {
    status: result.status,
    output: readFileSync(output, 'utf8'),
    config: readFileSync(join(runDir, 'nginx.conf'), 'utf8'),
  };
}

const modes: { mode: string; env: (image: Image) => Env }[] = [
  { mode: 'image defaults', env: dockerfileEnv },
  {
    mode: 'docker-compose.yml',
    env: (image) => ({ ...dockerfileEnv(image), ...composeEnv('docker-compose.yml', image) }),
  },
  { mode: 'stack.yml', env: (image) => ({ ...dockerfileEnv(image), ...composeEnv('stack.yml', image) }) },
  { mode: 'local stack', env: localEnv },
];

describe.each(modes)('nginx templates, $mode', ({ env }) => {
  it.each(IMAGES)('%s renders to a config that nginx -t accepts', (image) => {
    const result = check(image, env(image));
    const complaints = result.output
      .split('\n')
      .filter((line) => line && !line.startsWith('watch-upstreams:'));
    expect(complaints).toEqual([]);
    expect(result.status).toBe(0);
    expect(result.config).not.toMatch(/\$\{[A-Z_]+\}/);
  });
});

it('refuses a template variable that TEMPLATE_VARS does not name (the check can fail)', () => {
  const env = dockerfileEnv('front');
  const result = check('front', {
    ...env,
    TEMPLATE_VARS: env.TEMPLATE_VARS!.replace('STATIC_RATE_LIMIT', ''),
  });
  expect(result.status).toBe(64);
  expect(result.output).toContain('${STATIC_RATE_LIMIT}');
});
