import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import type { RowDataPacket } from 'mysql2/promise';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import {
  ACCEPTS,
  BIG_BODY,
  CONTENT_TYPES,
  FUZZ_TIMEOUT,
  KEYS,
  METHODS,
  NUMERIC,
  coercedNumber,
  decoded,
  encode,
  hostile,
  jsonObject,
  objectText,
  oddBodyText,
  plausibleText,
  printable,
  rawFragment,
  runs,
  valueText,
  anyRequestOptions,
  expectEveryRouteListed,
  expectNoServerError,
} from '@scale-lab/testing/fuzz';
import { buildTestApp } from './helper.js';

/**
 * Property-based fuzzing of every route with fast-check, against a real app on a database of its own
 * (and Redis, so hostile cache keys and the cache's coherence with the table are exercised too). Each run
 * is a short sequence of requests whose expected answers come from the table as it is before each one,
 * so a failing case shrinks and replays on its own; fast-check prints the seed and path to replay it.
 */

interface Movie {
  id: string;
  title: string;
  director: string;
  rating: number;
}

const SEEDED = ['720d006c-3a57-4b6a-b18f-9b713b073f3c', 'a8034f44-aee4-44cf-b32c-74cf452aaaae'];
const plausible = plausibleText(200);

// Ids from a small pool and alphabet collide often, in either case (the id column is case-insensitive).
const idText = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'A', 'b', 'B', 'a-1', 'A-1', 'b_') },
  {
    weight: 6,
    arbitrary: fc.string({
      unit: fc.constantFrom('a', 'A', 'b', 'B', '-', '_', '1'),
      minLength: 1,
      maxLength: 3,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...SEEDED, SEEDED[0]!.toUpperCase(), 'x'.repeat(64), 'x'.repeat(65)),
  },
  { weight: 2, arbitrary: hostile.filter((s) => s !== '' && s.length <= 90) },
);
const ratingValue = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 100 }).map((tenths) => tenths / 10) },
  { weight: 2, arbitrary: fc.double({ min: -1, max: 11, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 10, -0, 10.1, -0.1, 7.55, 7.25, 1e-7, 9.95, 5 + 1e-12) },
);
const rateText = fc.oneof(
  { weight: 3, arbitrary: ratingValue.map(String) },
  { weight: 1, arbitrary: fc.constantFrom(...NUMERIC) },
  { weight: 1, arbitrary: hostile.filter((s) => s !== '' && s.length <= 90) },
);
/** A JSON body for POST /movies/:id: valid, wrongly typed, hostile, poisoned or not JSON at all. */
const movieText = (id: fc.Arbitrary<string>) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .record(
          {
            title: fc.oneof({ weight: 8, arbitrary: plausible }, { weight: 1, arbitrary: hostile }),
            director: fc.oneof({ weight: 8, arbitrary: plausible }, { weight: 1, arbitrary: hostile }),
            rating: ratingValue,
            id,
          },
          { requiredKeys: ['title', 'director', 'rating'] },
        )
        .map((movie) => JSON.stringify(movie)),
    },
    {
      weight: 3,
      arbitrary: objectText(
        ['title', 'director', 'rating', 'id'],
        fc.oneof(valueText(plausible), ratingValue.map(String)),
      ),
    },
    { weight: 1, arbitrary: oddBodyText('title') },
  );

// --- What the API must do (an oracle independent of its schemas) ----------------------------------------

const validId = (id: string) => /^[A-Za-z0-9_-]{1,64}$/.test(id);
/** 0 to 10 with one decimal: what the DECIMAL(3,1) column holds exactly. */
const validRating = (value: unknown): value is number =>
  typeof value === 'number' && value >= 0 && value <= 10 && Math.round(value * 10) / 10 === value;
/** The movie a POST must store (no coercion: {"rating":"5"} is not 5), or undefined: 400. */
function acceptedMovie(text: string, id: string): Movie | undefined {
  const body = jsonObject(text);
  if (!body || !printable(body.title, 200) || !printable(body.director, 200) || !validRating(body.rating))
    return undefined;
  if (Object.hasOwn(body, 'id') && body.id !== id) return undefined;
  return { id, title: body.title, director: body.director, rating: body.rating + 0 }; // -0 is 0
}
/** An invalid path parameter is a 400, or a 404 when too long for Fastify's router to match at all. */
const refusedParam = (raw: string) => (encode(raw).length > 100 ? [400, 404] : [400]);

const operation = fc.oneof(
  // The body's id, when there is one, mostly agrees with the URL's.
  idText.chain((id) =>
    fc.record({
      op: fc.constant('create' as const),
      id: fc.constant(id),
      body: movieText(
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(id) },
          { weight: 1, arbitrary: idText },
          { weight: 1, arbitrary: hostile },
        ),
      ),
    }),
  ),
  fc.record({ op: fc.constant('get' as const), id: idText }),
  fc.record({ op: fc.constant('rate' as const), id: idText, rate: rateText }),
  fc.record({ op: fc.constant('remove' as const), id: idText }),
  fc.record({
    op: fc.constantFrom('title' as const, 'director' as const),
    text: fc.oneof(
      fc.constantFrom('Creed', 'creed', 'The Martian', 'Ridley Scott', 'peter sohn'),
      plausible,
      hostile,
    ),
  }),
  fc.record({ op: fc.constant('all' as const) }),
);

// --- The routes ----------------------------------------------------------------------------------------

/** Every route the app serves: the test checks this against the app's own OpenAPI document. */
const ROUTES = [
  'GET /',
  'GET /json',
  'GET /movies/:id',
  'POST /movies/:id',
  'PUT /movies/:id/:rate',
  'DELETE /movies/:id',
  'GET /moviesbytitle',
  'GET /moviesbydirector',
  'GET /help',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'GET /openapi.json',
];
const anyRequest = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ROUTES).map((route) => route.split(' ')[1]!) },
    {
      weight: 1,
      arbitrary: fc.array(fc.oneof(hostile.map(encode), rawFragment)).map((s) => `/${s.join('/')}`),
    },
  ),
  id: fc.oneof(
    idText.map(encode),
    fc.tuple(hostile.map(encode), rawFragment).map(([a, b]) => a + b),
  ),
  rate: fc.oneof(rateText.map(encode), rawFragment),
  query: fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom('title', 'director', ...KEYS), hostile).map(encode),
        fc.oneof(hostile.map(encode), rateText.map(encode), rawFragment),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : '')),
  contentType: fc.constantFrom(...CONTENT_TYPES),
  accept: fc.constantFrom(...ACCEPTS),
  body: fc.oneof(
    { weight: 20, arbitrary: movieText(idText) },
    { weight: 1, arbitrary: fc.constant(BIG_BODY) },
  ),
});

// --- The properties ------------------------------------------------------------------------------------

describe('movie-api under fuzzing', () => {
  let app: Awaited<ReturnType<typeof buildTestApp>>;
  // Built in a test, not a hook: the helper waits for Redis with expect.poll, which needs a test.
  it('starts on a database and a cache namespace of its own', async () => {
    app = await buildTestApp({
      INSTANCE_ID: 'movie-fuzz',
      REDIS_URL: inject('redisUrl'),
      CACHE_NAMESPACE: `movie_fuzz_${process.pid}`,
      DB_TIMEOUT_MS: '15000',
    });
  });

  const query = async <T extends RowDataPacket>(sql: string, values: unknown[] = []) =>
    (await app.db.query<T[]>(sql, values))[0];
  const toMovie = (row: RowDataPacket): Movie => ({
    id: row.id,
    title: row.title,
    director: row.director,
    rating: Number(row.rating),
  });
  const movies = async (where = '', values: unknown[] = []) =>
    (await query(`SELECT id, title, director, rating FROM movie ${where}`, values)).map(toMovie);
  const count = async () => Number((await query('SELECT COUNT(*) AS n FROM movie'))[0]!.n);
  /** The table's row for an id, as the app's own queries find it (the column's collation decides). */
  const movieRow = async (id: string) => (await movies('WHERE id = ?', [id]))[0];
  const byId = (list: Movie[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  /** The statuses the current test's requests got: each property must reach its answers and its refusals. */
  const statuses = new Set<number>();
  beforeEach(() => statuses.clear());
  const send = async (options: InjectOptions) => {
    const response = await app.inject(options);
    statuses.add(response.statusCode);
    return response;
  };
  const expectAnswer = (response: { statusCode: number; body: string }, expected: number | number[]) => {
    expect([expected].flat(), response.body.slice(0, 500)).toContain(response.statusCode);
    if (response.statusCode >= 400)
      expect(JSON.parse(response.body)).toMatchObject({ statusCode: response.statusCode });
  };

  it('fuzzes every route the app serves', () => {
    expectEveryRouteListed(app, ROUTES);
  });

  it(
    'every route with data: answers exactly what the table holds, and the table holds exactly what was accepted',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 6 }), async (operations) => {
          for (const step of operations) {
            const before = await count();
            switch (step.op) {
              case 'create': {
                const id = decoded(step.id);
                const existing = validId(id) ? await movieRow(id) : undefined;
                const response = await send({
                  method: 'POST',
                  url: `/movies/${encode(step.id)}`,
                  headers: { 'content-type': 'application/json' },
                  payload: step.body,
                });
                const movie = validId(id) ? acceptedMovie(step.body, id) : undefined;
                if (process.env.DEBUG_FUZZ)
                  console.log('create', id, !!movie, !!existing, response.statusCode);
                expectAnswer(
                  response,
                  !validId(id) ? refusedParam(step.id) : !movie ? 400 : existing ? 409 : 201,
                );
                if (response.statusCode === 201) {
                  expect(response.json()).toEqual(movie);
                  expect(await movieRow(id)).toEqual(movie);
                  expect(await count()).toBe(before + 1);
                } else {
                  expect(await count()).toBe(before);
                  if (existing) expect(await movieRow(id)).toEqual(existing);
                }
                break;
              }
              case 'get':
              case 'remove': {
                const id = decoded(step.id);
                const existing = validId(id) ? await movieRow(id) : undefined;
                const response = await send({
                  method: step.op === 'get' ? 'GET' : 'DELETE',
                  url: `/movies/${encode(step.id)}`,
                });
                expectAnswer(response, !validId(id) ? refusedParam(step.id) : existing ? 200 : 404);
                if (response.statusCode === 200) expect(response.json()).toEqual(existing);
                const removed = step.op === 'remove' && response.statusCode === 200;
                expect(await count()).toBe(removed ? before - 1 : before);
                if (removed) expect(await movieRow(id)).toBeUndefined();
                break;
              }
              case 'rate': {
                const id = decoded(step.id);
                const existing = validId(id) ? await movieRow(id) : undefined;
                const response = await send({
                  method: 'PUT',
                  url: `/movies/${encode(step.id)}/${encode(step.rate)}`,
                });
                const rating = coercedNumber(decoded(step.rate))! + 0;
                const valid = validId(id) && validRating(rating);
                expectAnswer(
                  response,
                  !validId(id)
                    ? refusedParam(step.id)
                    : !valid
                      ? refusedParam(step.rate)
                      : existing
                        ? 200
                        : 404,
                );
                if (response.statusCode === 200) {
                  expect(response.json()).toEqual({ ...existing, rating });
                  expect(await movieRow(id)).toEqual({ ...existing, rating });
                } else if (existing) {
                  expect(await movieRow(id)).toEqual(existing);
                }
                expect(await count()).toBe(before);
                break;
              }
              case 'title':
              case 'director': {
                const text = decoded(step.text);
                const response = await send({
                  url: `/moviesby${step.op}?${step.op}=${encode(step.text)}`,
                });
                if (!printable(text, 200)) {
                  expectAnswer(response, 400);
                  break;
                }
                const found =
                  step.op === 'title'
                    ? await movies('WHERE title = ? ORDER BY id LIMIT 1', [text])
                    : await movies('WHERE director = ?', [text]);
                expectAnswer(response, found.length ? 200 : 404);
                if (response.statusCode === 200) {
                  const answer = response.json();
                  if (step.op === 'title') expect(answer).toEqual(found[0]);
                  else expect(byId(answer)).toEqual(byId(found));
                }
                break;
              }
              case 'all': {
                const response = await send({ url: '/json' });
                expectAnswer(response, 200);
                expect(byId(response.json())).toEqual(byId(await movies()));
                break;
              }
            }
          }
        }),
        {
          ...runs(150),
          // The bugs the fuzzing found: coerced bodies, infinite ratings stored as 0, ratings the column rounds.
          examples: [
            [[{ op: 'create', id: 'c1', body: '{"title":123,"director":"D","rating":5}' }]],
            [[{ op: 'create', id: 'c2', body: '{"title":"T","director":"D","rating":"5"}' }]],
            [[{ op: 'create', id: 'c3', body: '{"title":"T","director":"D","rating":null}' }]],
            [[{ op: 'create', id: 'c4', body: '{"title":"T","director":true,"rating":[5]}' }]],
            [[{ op: 'create', id: 'c5', body: '{"title":"T","director":"D","rating":7.25}' }]],
            [[{ op: 'rate', id: SEEDED[0]!, rate: 'Infinity' }]],
            [[{ op: 'rate', id: SEEDED[0]!, rate: '-1e400' }]],
            [[{ op: 'rate', id: SEEDED[0]!, rate: '7.25' }]],
          ],
        },
      );
      expect([...statuses]).toEqual(expect.arrayContaining([200, 201, 400, 404, 409]));
    },
    FUZZ_TIMEOUT,
  );

  it(
    'any method, path, query, header and body: only 2xx or 4xx, and the app keeps answering',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyRequest, async (request) => {
          const before = await count();
          const response = await send(
            anyRequestOptions(
              request,
              request.path.replace(':id', request.id).replace(':rate', request.rate) + request.query,
            ),
          );
          expectNoServerError(response);
          // The table changes by one row at most, and only when the answer says so.
          const change = (await count()) - before;
          const routed = request.path === '/movies/:id';
          expect(change).toBe(
            routed && request.method === 'POST' && response.statusCode === 201
              ? 1
              : routed && request.method === 'DELETE' && response.statusCode === 200
                ? -1
                : 0,
          );
          expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
        }),
        runs(500),
      );
      expect([...statuses]).toEqual(expect.arrayContaining([200, 400, 404]));
    },
    FUZZ_TIMEOUT,
  );

  it('still answers health checks, and serves exactly what its table holds', async () => {
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/ready' })).json()).toEqual({
      status: 'ok',
      checks: { database: 'ok' },
    });
    expect(byId((await app.inject({ url: '/json' })).json())).toEqual(byId(await movies()));
  });
});
