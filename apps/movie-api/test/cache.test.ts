import { describe, expect, inject, it } from 'vitest';
import { buildTestApp, newDatabase } from './helper.js';

let namespaces = 0;
const cacheEnv = () => ({
  REDIS_URL: inject('redisUrl'),
  CACHE_NAMESPACE: `movie_test_${process.pid}_${namespaces++}`,
});
const TITLE = '/moviesbytitle?title=The%20Good%20Dinosaur';

describe('movie-api with the cache', () => {
  it('answers repeated reads from the cache', async () => {
    const app = await buildTestApp(cacheEnv());
    for (const url of [
      '/json',
      TITLE,
      '/moviesbydirector?director=Peter%20Sohn',
      '/movies/720d006c-3a57-4b6a-b18f-9b713b073f3c',
    ]) {
      expect((await app.inject({ url })).headers['x-cache'], url).toBe('MISS');
      expect((await app.inject({ url })).headers['x-cache'], url).toBe('HIT');
    }
  });

  it('drops cached reads on every write, on every replica', async () => {
    const env = { ...cacheEnv(), MYSQL_URL: await newDatabase() };
    const replicaA = await buildTestApp({ ...env, INSTANCE_ID: 'a' });
    const replicaB = await buildTestApp({ ...env, INSTANCE_ID: 'b' });
    await replicaA.inject({ url: TITLE });
    expect((await replicaB.inject({ url: TITLE })).headers['x-cache']).toBe('HIT');

    await replicaB.inject({ method: 'PUT', url: '/movies/720d006c-3a57-4b6a-b18f-9b713b073f3c/9' });
    const rated = await replicaA.inject({ url: TITLE });
    expect(rated.headers['x-cache']).toBe('MISS');
    expect(rated.json().rating).toBe(9);

    await replicaA.inject({
      method: 'POST',
      url: '/movies/new-one',
      payload: { title: 'New One', director: 'D', rating: 1 },
    });
    expect((await replicaB.inject({ url: '/json' })).json().map((m: { id: string }) => m.id)).toContain(
      'new-one',
    );

    await replicaB.inject({ method: 'DELETE', url: '/movies/720d006c-3a57-4b6a-b18f-9b713b073f3c' });
    expect((await replicaA.inject({ url: TITLE })).statusCode).toBe(404);
  });

  it('bypasses the cache with CACHE_ENABLED=false', async () => {
    const app = await buildTestApp({ ...cacheEnv(), CACHE_ENABLED: 'false' });
    expect((await app.inject({ url: TITLE })).headers['x-cache']).toBe('BYPASS');
    expect((await app.inject({ url: TITLE })).headers['x-cache']).toBe('BYPASS');
  });
});
