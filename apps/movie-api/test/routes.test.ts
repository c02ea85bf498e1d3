import { describe, expect, it } from 'vitest';
import { buildTestApp, newDatabase } from './helper.js';

const GOOD_DINOSAUR = {
  id: '720d006c-3a57-4b6a-b18f-9b713b073f3c',
  title: 'The Good Dinosaur',
  director: 'Peter Sohn',
  rating: 7.4,
};

describe('movie-api routes', async () => {
  const app = await buildTestApp({ INSTANCE_ID: 'movie-test' });

  it('welcomes like the tutorial', async () => {
    const response = await app.inject({ url: '/' });
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('Welcome to the Movie service!');
  });

  it('is seeded with the tutorial catalogue, The Good Dinosaur included', async () => {
    // A database of its own: other tests add, rate and delete movies in the file's.
    const own = await buildTestApp({ INSTANCE_ID: 'movie-test' });
    const movies = (await own.inject({ url: '/json' })).json();
    expect(movies).toHaveLength(6);
    expect(movies).toContainEqual(GOOD_DINOSAUR);
  });

  it('finds a movie by id, by title (the tutorial URL) and by director', async () => {
    expect((await app.inject({ url: `/movies/${GOOD_DINOSAUR.id}` })).json()).toEqual(GOOD_DINOSAUR);
    const byTitle = await app.inject({ url: '/moviesbytitle?title=The%20Good%20Dinosaur' });
    expect(byTitle.statusCode).toBe(200);
    expect(byTitle.json()).toEqual(GOOD_DINOSAUR);
    expect((await app.inject({ url: '/moviesbytitle?title=the%20good%20dinosaur' })).json()).toEqual(
      GOOD_DINOSAUR,
    );
    expect((await app.inject({ url: '/moviesbydirector?director=Peter%20Sohn' })).json()).toEqual([
      GOOD_DINOSAUR,
    ]);
  });

  it('answers 404 JSON when nothing matches', async () => {
    for (const url of ['/movies/nope', '/moviesbytitle?title=Nope', '/moviesbydirector?director=Nobody']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
  });

  it('creates a movie (201), then refuses the same id (409)', async () => {
    const movie = { title: 'Scale Wars', director: 'Ada Lovelace', rating: 9.5 };
    const created = await app.inject({ method: 'POST', url: '/movies/scale-wars', payload: movie });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 'scale-wars', ...movie });
    expect((await app.inject({ url: '/movies/scale-wars' })).json()).toEqual({ id: 'scale-wars', ...movie });
    const again = await app.inject({
      method: 'POST',
      url: '/movies/scale-wars',
      payload: { ...movie, title: 'Other' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toBe('movie ID already exists: scale-wars');
    expect((await app.inject({ url: '/movies/scale-wars' })).json().title).toBe('Scale Wars');
  });

  it('refuses a bad movie with 400 JSON and stores nothing', async () => {
    for (const payload of [
      {},
      { title: 'T', director: 'D' },
      { title: '', director: 'D', rating: 1 },
      { title: 'T', director: 'D', rating: 11 },
    ]) {
      const response = await app.inject({ method: 'POST', url: '/movies/bad-movie', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().statusCode).toBe(400);
    }
    const mismatch = await app.inject({
      method: 'POST',
      url: '/movies/bad-movie',
      payload: { id: 'other', title: 'T', director: 'D', rating: 1 },
    });
    expect(mismatch.statusCode).toBe(400);
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/movies/bad%20id',
          payload: { title: 'T', director: 'D', rating: 1 },
        })
      ).statusCode,
    ).toBe(400);
    expect((await app.inject({ url: '/movies/bad-movie' })).statusCode).toBe(404);
  });

  it.each([
    ['0', 0],
    ['10', 10],
    ['7.5', 7.5],
  ])('rates a movie %s', async (rate, expected) => {
    const response = await app.inject({ method: 'PUT', url: `/movies/${GOOD_DINOSAUR.id}/${rate}` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ...GOOD_DINOSAUR, rating: expected });
  });

  it.each(['11', '-1', 'abc', '10.5'])('refuses the rating %s with 400 JSON', async (rate) => {
    const response = await app.inject({ method: 'PUT', url: `/movies/${GOOD_DINOSAUR.id}/${rate}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
  });

  it('answers 404 when rating an unknown movie', async () => {
    expect((await app.inject({ method: 'PUT', url: '/movies/unknown/5' })).statusCode).toBe(404);
  });

  it('deletes a movie, answering it, then 404', async () => {
    await app.inject({
      method: 'POST',
      url: '/movies/to-delete',
      payload: { title: 'Gone', director: 'X', rating: 1 },
    });
    const deleted = await app.inject({ method: 'DELETE', url: '/movies/to-delete' });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ id: 'to-delete', title: 'Gone' });
    expect((await app.inject({ url: '/movies/to-delete' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/movies/to-delete' })).statusCode).toBe(404);
  });

  it('stores an SQL injection attempt as plain text', async () => {
    const title = "x'); DROP TABLE movie; --";
    await app.inject({
      method: 'POST',
      url: '/movies/injection',
      payload: { title, director: 'D', rating: 1 },
    });
    expect((await app.inject({ url: `/moviesbytitle?title=${encodeURIComponent(title)}` })).json().id).toBe(
      'injection',
    );
    expect((await app.inject({ url: '/json' })).statusCode).toBe(200);
  });

  it('lists its routes in /help', async () => {
    const help = (await app.inject({ url: '/help' })).json();
    expect(help).toEqual(
      expect.arrayContaining([
        { method: 'GET', path: '/moviesbytitle', description: expect.any(String) },
        { method: 'PUT', path: '/movies/:id/:rate', description: expect.any(String) },
        { method: 'DELETE', path: '/movies/:id', description: expect.any(String) },
      ]),
    );
    expect(help.map((route: { path: string }) => route.path)).not.toContain('/metrics');
  });

  it('publishes a valid OpenAPI document of its routes', async () => {
    const document = (await app.inject({ url: '/openapi.json' })).json();
    expect(document.openapi).toBe('3.0.3');
    expect(document.info.title).toBe('Movie service');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/json',
        '/movies/{id}',
        '/moviesbytitle',
        '/moviesbydirector',
        '/movies/{id}/{rate}',
        '/help',
      ]),
    );
    expect(document.paths['/movies/{id}/{rate}'].put.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'rate', in: 'path', required: true })]),
    );
  });

  it('sends X-Instance on every answer, errors included', async () => {
    for (const url of ['/', '/json', '/movies/nope', '/moviesbytitle', '/nowhere', '/metrics']) {
      expect((await app.inject({ url })).headers['x-instance'], url).toBe('movie-test');
    }
  });

  it('counts requests by route in /metrics', async () => {
    await app.inject({ url: '/moviesbytitle?title=The%20Good%20Dinosaur' });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /http_requests_total\{[^}]*route="\/moviesbytitle"[^}]*status_code="200"[^}]*service="movie-api"/,
    );
  });
});

describe('two replicas on one database', () => {
  it('see each other’s writes', async () => {
    const database = await newDatabase();
    const first = await buildTestApp({ MYSQL_URL: database, INSTANCE_ID: 'movie-1' });
    const second = await buildTestApp({ MYSQL_URL: database, INSTANCE_ID: 'movie-2' });
    const created = await first.inject({
      method: 'POST',
      url: '/movies/shared',
      payload: { title: 'Shared', director: 'D', rating: 5 },
    });
    expect(created.headers['x-instance']).toBe('movie-1');
    const read = await second.inject({ url: '/movies/shared' });
    expect(read.headers['x-instance']).toBe('movie-2');
    expect(read.json().title).toBe('Shared');
    await second.inject({ method: 'PUT', url: '/movies/shared/8' });
    expect((await first.inject({ url: '/movies/shared' })).json().rating).toBe(8);
    // Both migrated the same database: the catalogue is there once.
    const goodDinosaurs = (await second.inject({ url: '/json' }))
      .json()
      .filter((movie: { title: string }) => movie.title === 'The Good Dinosaur');
    expect(goodDinosaurs).toHaveLength(1);
  });

  it('keeps a deleted seed movie deleted across restarts', async () => {
    const database = await newDatabase();
    const first = await buildTestApp({ MYSQL_URL: database });
    await first.inject({ method: 'DELETE', url: '/movies/720d006c-3a57-4b6a-b18f-9b713b073f3c' });
    const restarted = await buildTestApp({ MYSQL_URL: database });
    expect((await restarted.inject({ url: '/moviesbytitle?title=The%20Good%20Dinosaur' })).statusCode).toBe(
      404,
    );
  });
});
