import { request } from 'node:http';
import { createConnection } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertPortFree,
  findBinary,
  freePort,
  MissingBinaryError,
  PortBusyError,
  startMariaDb,
  startNginx,
  startRedis,
  type LocalMariaDb,
} from '../src/index.js';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('local services', () => {
  let mariadb: LocalMariaDb | undefined;
  afterAll(async () => {
    await mariadb?.stop();
  });

  it('starts a throw-away MariaDB that accepts the scale_lab user over TCP and creates databases', async () => {
    mariadb = await startMariaDb();
    const url = await mariadb.createDatabase('local_services_test');
    const connection = await createConnection({ uri: url });
    const [rows] = await connection.query('SELECT DATABASE() AS db, 1 + 1 AS two');
    await connection.end();
    expect(rows).toEqual([{ db: 'local_services_test', two: 2 }]);
  });

  it('starts Redis and can kill and restart it on the same port', async () => {
    const redis = await startRedis();
    try {
      await redis.kill();
      await expect(assertPortFree(redis.port, 'check')).resolves.toBeUndefined();
      await redis.restart();
      await expect(assertPortFree(redis.port, 'redis')).rejects.toBeInstanceOf(PortBusyError);
    } finally {
      await redis.stop();
    }
  });

  it('runs the real nginx with a generated config and reloads it', async () => {
    const port = await freePort();
    const nginx = await startNginx({
      ports: [port],
      http: `server { listen 127.0.0.1:${port}; location / { return 200 "first"; } }`,
    });
    try {
      expect(await get(port, '/')).toEqual({ status: 200, body: 'first' });
      await nginx.reload(`server { listen 127.0.0.1:${port}; location / { return 200 "second"; } }`);
      await expect.poll(async () => (await get(port, '/')).body, { timeout: 5000 }).toBe('second');
    } finally {
      await nginx.stop();
    }
  });

  it('refuses an invalid nginx config with nginx’s own message', async () => {
    await expect(startNginx({ ports: [], http: 'server { listen nonsense-port; }' })).rejects.toThrow(
      /nginx rejected/,
    );
  });

  it('names the Debian package of a missing binary', () => {
    expect(() => findBinary(['no-such-daemon-xyz'], 'some-package')).toThrow(MissingBinaryError);
    expect(() => findBinary(['no-such-daemon-xyz'], 'some-package')).toThrow(/apt-get install some-package/);
  });

  it('says which port is busy', async () => {
    const redis = await startRedis();
    try {
      await expect(assertPortFree(redis.port, 'Redis')).rejects.toThrow(
        `port ${redis.port} (Redis) is already in use`,
      );
    } finally {
      await redis.stop();
    }
  });
});
