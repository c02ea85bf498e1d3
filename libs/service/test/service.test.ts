import { spawnSync } from 'node:child_process';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, notFound, resolveInstanceId, servicePlugin } from '../src/index.js';

async function buildTestApp(instanceId = 'test-1') {
  const app = Fastify();
  await app.register(servicePlugin, { service: 'test', instanceId, collectDefaultMetrics: false });
  app.get('/items/:id', async (request) => {
    const { id } = request.params as { id: string };
    if (id === 'missing') throw notFound('no such item');
    return { id };
  });
  return app;
}

describe('loadConfig', () => {
  const schema = Type.Object({
    PORT: Type.Integer({ default: 3000, minimum: 1, maximum: 65535 }),
    MODE: Type.Union([Type.Literal('sleep'), Type.Literal('cpu')], { default: 'sleep' }),
    MYSQL_URL: Type.String(),
  });

  it('applies defaults and coerces numbers from strings', () => {
    expect(loadConfig(schema, { MYSQL_URL: 'mysql://x' })).toEqual({
      PORT: 3000,
      MODE: 'sleep',
      MYSQL_URL: 'mysql://x',
    });
    expect(loadConfig(schema, { MYSQL_URL: 'mysql://x', PORT: '8080' }).PORT).toBe(8080);
  });

  it('names the variable that is wrong or missing', () => {
    expect(() => loadConfig(schema, { MYSQL_URL: 'mysql://x', PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { MYSQL_URL: 'mysql://x', PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig(schema, { MYSQL_URL: 'mysql://x', MODE: 'fast' })).toThrow(/MODE/);
    expect(() => loadConfig(schema, {})).toThrow(/MYSQL_URL/);
  });
});

describe('servicePlugin', () => {
  it('sends X-Instance on answers, errors and unknown routes', async () => {
    const app = await buildTestApp('replica-7');
    for (const url of ['/items/1', '/items/missing', '/nowhere', '/health/live']) {
      const response = await app.inject({ url });
      expect(response.headers['x-instance'], url).toBe('replica-7');
    }
    const missing = await app.inject({ url: '/items/missing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ statusCode: 404, message: 'no such item' });
    await app.close();
  });

  it('is ready only while every readiness check passes', async () => {
    const app = await buildTestApp();
    let databaseUp = false;
    app.addReadinessCheck('database', async () => {
      if (!databaseUp) throw new Error('connection refused');
    });
    const down = await app.inject({ url: '/health/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'unavailable', checks: { database: 'connection refused' } });
    databaseUp = true;
    const up = await app.inject({ url: '/health/ready' });
    expect(up.statusCode).toBe(200);
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    await app.close();
  });

  it('counts requests by route template and status in /metrics', async () => {
    const app = await buildTestApp();
    await app.inject({ url: '/items/1' });
    await app.inject({ url: '/items/2' });
    await app.inject({ url: '/items/missing' });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /http_requests_total\{method="GET",route="\/items\/:id",status_code="200",service="test",instance="test-1"\} 2/,
    );
    expect(metrics).toMatch(
      /http_requests_total\{method="GET",route="\/items\/:id",status_code="404",[^}]*\} 1/,
    );
    expect(metrics).toMatch(/http_request_duration_seconds_bucket\{le="0.001",[^}]*route="\/items\/:id"/);
    await app.close();
  });

  it('keeps apps in one process apart (one registry each)', async () => {
    const first = await buildTestApp('a');
    const second = await buildTestApp('b');
    await first.inject({ url: '/items/1' });
    expect((await second.inject({ url: '/metrics' })).body).not.toMatch(/route="\/items\/:id"/);
    await Promise.all([first.close(), second.close()]);
  });
});

describe('resolveInstanceId', () => {
  it('prefers the configured id and falls back to host and pid', () => {
    expect(resolveInstanceId('woody-2')).toBe('woody-2');
    expect(resolveInstanceId('')).toMatch(new RegExp(`-${process.pid}$`));
  });
});

describe('assertSupportedNode', () => {
  it('exits with a plain message on Node older than 22', () => {
    const script = `import('${new URL('../src/node-version.ts', import.meta.url).pathname}').then(m => m.assertSupportedNode('20.1.0'))`;
    const result = spawnSync(
      process.execPath,
      ['--experimental-strip-types', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Scale Lab needs Node.js 22 or newer; this is Node.js 20.1.0');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
