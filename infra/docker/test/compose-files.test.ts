// docker-compose.yml and stack.yml against the Compose Specification's JSON schema (vendored from
// compose-spec/compose-spec, schema/compose-spec.json), plus the promises the files make that a schema
// cannot check: what Swarm rejects, what must not be published, how updates roll.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../../..');
const schema = JSON.parse(readFileSync(join(import.meta.dirname, 'compose-spec.json'), 'utf8'));
// The schema names draft-07 by its https address, which Ajv knows as http://…#: it is draft-07 all the same.
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
const validate = ajv.compile({ ...schema, $schema: undefined });

// The files' shape is what the schema tests check; the assertions below read the parsed YAML freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;
type Service = Record<string, Yaml>;
const load = (file: string) =>
  parse(readFileSync(join(root, file), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  } & Record<string, Yaml>;
const compose = load('docker-compose.yml');
const stack = load('stack.yml');
const errorsOf = (document: unknown) =>
  validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

const apps = ['woody-api', 'movie-api', 'front', 'cdn', 'proxy'];

describe('the schema check itself', () => {
  it('rejects a document the specification forbids', () => {
    expect(errorsOf({ services: { web: { image: 'x', restart: 7, nonsense: true } } })).not.toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification', () => {
    expect(errorsOf(compose)).toEqual([]);
  });

  it('runs every image of the product, with the documented replica counts', () => {
    for (const app of apps) expect(compose.services[app]?.image).toMatch(new RegExp(`^scale-lab/${app}:`));
    expect(compose.services['woody-api']!.deploy.replicas).toBe('${WOODY_REPLICAS:-3}');
    expect(compose.services['movie-api']!.deploy.replicas).toBe('${MOVIE_REPLICAS:-2}');
  });

  it('publishes neither the database nor Redis, and gives the password as a secret file', () => {
    expect(compose.services.db!.ports).toBeUndefined();
    expect(compose.services.redis!.ports).toBeUndefined();
    expect(compose.services.db!.environment.MARIADB_PASSWORD_FILE).toBe('/run/secrets/db_password');
    expect(compose.services['woody-api']!.environment.MYSQL_PASSWORD_FILE).toBe('/run/secrets/db_password');
    expect(JSON.stringify(compose)).not.toMatch(/MARIADB_PASSWORD"|MYSQL_PASSWORD"/);
  });

  it('starts the APIs only once the database and Redis are healthy', () => {
    for (const api of ['woody-api', 'movie-api']) {
      expect(compose.services[api]!.depends_on).toEqual({
        db: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
  });

  it('keeps the HAProxy variant and k6 behind profiles', () => {
    expect(compose.services.haproxy!.profiles).toEqual(['haproxy']);
    expect(compose.services.k6!.profiles).toEqual(['k6']);
    expect(compose.services.k6!.image).toMatch(/^grafana\/k6:\d+\.\d+\.\d+$/);
  });
});

describe('stack.yml', () => {
  it('is valid against the Compose Specification', () => {
    expect(errorsOf(stack)).toEqual([]);
  });

  it('has nothing docker stack deploy ignores or rejects', () => {
    expect(stack.name).toBeUndefined();
    for (const [name, service] of Object.entries(stack.services)) {
      expect(service.build, name).toBeUndefined();
      expect(service.depends_on, name).toBeUndefined();
      expect(service.profiles, name).toBeUndefined();
    }
  });

  it('uses dnsrr for every service, so the proxy sees each replica', () => {
    for (const [name, service] of Object.entries(stack.services))
      expect(service.deploy?.endpoint_mode, name).toBe('dnsrr');
  });

  it('publishes the proxy and the cdn in host mode only', () => {
    for (const [name, service] of Object.entries(stack.services)) {
      for (const port of service.ports ?? []) expect(port.mode, name).toBe('host');
    }
    expect(stack.services.proxy!.ports.map((p: { target: number }) => p.target)).toEqual([8080, 8000]);
  });

  it('rolls the APIs start-first with rollback, restarts them, and bounds their resources', () => {
    for (const api of ['woody-api', 'movie-api']) {
      const deploy = stack.services[api]!.deploy;
      expect(deploy.update_config).toMatchObject({ order: 'start-first', failure_action: 'rollback' });
      expect(deploy.rollback_config.order).toBe('start-first');
      expect(deploy.restart_policy.condition).toBe('any');
      expect(deploy.resources.limits.memory).toBeTruthy();
      expect(stack.services[api]!.healthcheck.test.join(' ')).toContain('/health/ready');
    }
  });

  it('runs the same images and secrets as the compose file', () => {
    for (const app of apps) expect(stack.services[app]!.image).toBe(compose.services[app]!.image);
    expect(stack.services.db!.image).toBe(compose.services.db!.image);
    expect(stack.services.redis!.image).toBe(compose.services.redis!.image);
    expect(stack.secrets).toEqual(compose.secrets);
  });
});

describe('base images', () => {
  it('are pinned by tag in every Dockerfile', () => {
    for (const dockerfile of [
      'apps/woody-api',
      'apps/movie-api',
      'apps/front',
      'apps/proxy',
      'apps/cdn',
      'infra/haproxy',
    ]) {
      const text = readFileSync(join(root, dockerfile, 'Dockerfile'), 'utf8');
      const images = [...text.matchAll(/^ARG \w+_IMAGE=(\S+)$/gm)].map((m) => m[1]!);
      expect(images.length, dockerfile).toBeGreaterThan(0);
      for (const image of images) expect(image, dockerfile).toMatch(/^[a-z0-9]+:\d[\w.-]*$/);
      expect(text, dockerfile).toMatch(/^USER \S+$/m);
      expect(text, dockerfile).toMatch(/^HEALTHCHECK /m);
    }
  });
});
