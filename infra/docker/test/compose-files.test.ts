// docker-compose.yml and stack.yml against the Compose Specification's JSON schema (vendored from
// compose-spec/compose-spec, schema/compose-spec.json), plus the promises the files make that a schema
// cannot check: what Swarm rejects, what must not be published, how updates roll.
import { execFileSync } from 'node:child_process';
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
      // Docker 20.10's stack deploy ignores these: security_opt with a warning, tmpfs without a word.
      expect(service.security_opt, name).toBeUndefined();
      expect(service.tmpfs, name).toBeUndefined();
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
      // Live, not ready: Swarm restarts unhealthy tasks, and a database outage must not restart them all.
      expect(stack.services[api]!.healthcheck.test.join(' ')).toContain('/health/live');
    }
  });

  it('runs the same images and secrets as the compose file', () => {
    for (const app of apps) expect(stack.services[app]!.image).toBe(compose.services[app]!.image);
    expect(stack.services.db!.image).toBe(compose.services.db!.image);
    expect(stack.services.redis!.image).toBe(compose.services.redis!.image);
    expect(stack.secrets).toEqual(compose.secrets);
  });
});

// What each service may write besides its volumes, and how: compose's tmpfs key and the stack's tmpfs mounts
// must say the same. The nginx images write only RUN_DIR (/tmp/nginx) and the cdn's cache volume (the image's
// VOLUME); MariaDB its socket and pid (/run/mysqld) and temporary tables; Redis its snapshots in /data.
const writable: Record<string, { tmpfs: string[]; volumes?: string[] }> = {
  db: { tmpfs: ['/run/mysqld', '/tmp'], volumes: ['/var/lib/mysql'] },
  redis: { tmpfs: [], volumes: ['/data'] },
  'woody-api': { tmpfs: ['/tmp'] },
  'movie-api': { tmpfs: ['/tmp'] },
  front: { tmpfs: ['/tmp'] },
  cdn: { tmpfs: ['/tmp'] },
  proxy: { tmpfs: ['/tmp'] },
  haproxy: { tmpfs: [] },
  k6: { tmpfs: ['/tmp'], volumes: ['/loadtests', '/results'] },
};
/** A compose volume entry's target: short syntax 'source:target[:mode]' or '/anonymous', or long syntax. */
const targetOf = (volume: string | { target: string }) =>
  typeof volume === 'string' ? (volume.split(':')[1] ?? volume) : volume.target;
const bytes = (size: string) => {
  const [, number, unit] = /^(\d+)([kmg]?)$/.exec(size)!;
  return Number(number) * 1024 ** ' kmg'.indexOf(unit || ' ');
};

describe('hardening (docs/containers.md#hardening)', () => {
  it('covers every service of both files', () => {
    expect(Object.keys(compose.services).sort()).toEqual(Object.keys(writable).sort());
    for (const name of Object.keys(stack.services)) expect(writable, name).toHaveProperty(name);
  });

  it('compose: read-only root, no capability, no new privileges, on every service', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.read_only, name).toBe(true);
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect(service.security_opt, name).toContain('no-new-privileges:true');
      // k6 alone writes as root into a host directory it may not own: DAC_OVERRIDE, nothing else.
      expect(service.cap_add, name).toEqual(name === 'k6' ? ['DAC_OVERRIDE'] : undefined);
      expect(service.privileged, name).toBeUndefined();
      if (name === 'k6') expect(service.user).toBe('root');
      else expect(service.user ?? 'the image’s own', name).not.toMatch(/^(root|0)(:|$)/);
    }
  });

  it('stack: read-only root and no capability on every service (what Swarm of Docker 20.10 applies)', () => {
    for (const [name, service] of Object.entries(stack.services)) {
      expect(service.read_only, name).toBe(true);
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect(service.cap_add, name).toBeUndefined();
      expect(service.user ?? 'the image’s own', name).not.toMatch(/^(root|0)(:|$)/);
      expect(service.user, name).toBe(compose.services[name]!.user);
    }
  });

  it('compose: a bounded tmpfs exactly where a service writes', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const tmpfs: string[] = service.tmpfs ?? [];
      expect(tmpfs.map((entry) => entry.split(':')[0]).sort(), name).toEqual(writable[name]!.tmpfs);
      for (const entry of tmpfs) expect(entry, name).toMatch(/:size=\d+[kmg]$/);
      expect((service.volumes ?? []).map(targetOf).sort(), name).toEqual(writable[name]!.volumes ?? []);
    }
  });

  it('stack: the same tmpfs mounts, as mounts (the only form Swarm takes), within each memory limit', () => {
    for (const [name, service] of Object.entries(stack.services)) {
      const volumes: (string | { type: string; target: string; tmpfs?: { size: number } })[] =
        service.volumes ?? [];
      const tmpfs = volumes.filter((volume) => typeof volume !== 'string' && volume.type === 'tmpfs');
      expect(tmpfs.map(targetOf).sort(), name).toEqual(writable[name]!.tmpfs);
      const others = volumes.filter((volume) => !tmpfs.includes(volume));
      expect(others.map(targetOf).sort(), name).toEqual(writable[name]!.volumes ?? []);
      // tmpfs pages count against the container's memory: a full tmpfs must leave room for the program.
      let total = 0;
      for (const mount of tmpfs) {
        const size = typeof mount === 'string' ? 0 : (mount.tmpfs?.size ?? 0);
        expect(size, `${name} ${targetOf(mount)}`).toBeGreaterThan(0);
        total += size;
      }
      const limit = service.deploy?.resources?.limits?.memory;
      if (limit) expect(total, name).toBeLessThanOrEqual(bytes(limit.toLowerCase()) / 2);
    }
  });

  it('stack: the tmpfs sizes are the compose file’s', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (!stack.services[name]) continue;
      const composeSizes = Object.fromEntries(
        (service.tmpfs ?? []).map((entry: string) => {
          const [target, options] = entry.split(':');
          return [target, bytes(options!.replace('size=', ''))];
        }),
      );
      const stackSizes = Object.fromEntries(
        (stack.services[name]!.volumes ?? [])
          .filter((volume: Yaml) => volume.type === 'tmpfs')
          .map((volume: Yaml) => [volume.target, volume.tmpfs.size]),
      );
      expect(stackSizes, name).toEqual(composeSizes);
    }
  });
});

const dockerfiles = [
  'apps/woody-api',
  'apps/movie-api',
  'apps/front',
  'apps/proxy',
  'apps/cdn',
  'infra/haproxy',
].map((dir) => join(dir, 'Dockerfile'));
const baseImagesOf = (dockerfile: string) =>
  [...readFileSync(join(root, dockerfile), 'utf8').matchAll(/^ARG \w+_IMAGE=(\S+)$/gm)].map((m) => m[1]!);
// name:major.minor.patch, then a variant if any (node:22.23.2-bookworm-slim, nginx:1.28.0-bookworm).
const FULL_VERSION = /^[a-z0-9][a-z0-9/._-]*:\d+\.\d+\.\d+(-[a-z][\w.-]*)?$/;

describe('base images', () => {
  it('are pinned to a full version in every Dockerfile', () => {
    for (const dockerfile of dockerfiles) {
      const text = readFileSync(join(root, dockerfile), 'utf8');
      const images = baseImagesOf(dockerfile);
      expect(images.length, dockerfile).toBeGreaterThan(0);
      for (const image of images) expect(image, dockerfile).toMatch(FULL_VERSION);
      expect(text, dockerfile).toMatch(/^USER \S+$/m);
      expect(text, dockerfile).toMatch(/^HEALTHCHECK /m);
    }
  });

  it('are pinned to a full version in the compose and stack files', () => {
    for (const file of [compose, stack])
      for (const [name, service] of Object.entries(file.services))
        if (!service.image.startsWith('scale-lab/')) expect(service.image, name).toMatch(FULL_VERSION);
  });

  it('are the very tags CI’s stand-ins are built under (.ci/stand-ins/build.sh reads them from these files)', () => {
    const tags = execFileSync('bash', [join(root, '.ci/stand-ins/build.sh'), '--tags'], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const wanted = new Set([
      ...dockerfiles.flatMap(baseImagesOf),
      compose.services.db!.image,
      compose.services.redis!.image,
    ]);
    expect(tags.sort()).toEqual([...wanted].sort());
  });
});
