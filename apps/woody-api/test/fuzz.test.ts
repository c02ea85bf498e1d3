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
  acceptedInteger,
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
 * (and Redis, so hostile cache keys are exercised too). Each run reads what it needs from the database
 * before and after its requests, so a failing case shrinks and replays on its own; fast-check prints the
 * seed and path to replay it.
 */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TIMEOUT = FUZZ_TIMEOUT;

const plausibleName = plausibleText(100);
/** A JSON body for a route whose body is { [field]: name }: valid, hostile, poisoned or not JSON at all. */
const bodyText = (field: string) =>
  fc.oneof(
    { weight: 6, arbitrary: objectText([field], valueText(plausibleName)) },
    { weight: 4, arbitrary: plausibleName.map((name) => JSON.stringify({ [field]: name })) },
    { weight: 1, arbitrary: oddBodyText(field) },
  );

/** The body as the API must take it (no coercion: {"name":123} is not the name "123"), or undefined: 400. */
function acceptedBody(text: string, field: string): Record<string, string> | undefined {
  const body = jsonObject(text);
  const value = body?.[field];
  return body && Object.hasOwn(body, field) && printable(value, 100) ? { [field]: value } : undefined;
}

const idText = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 50 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom(...NUMERIC, '0001', `${MAX_SAFE}`, `${MAX_SAFE + 1}`) },
  { weight: 2, arbitrary: hostile.filter((s) => s.length <= 90) },
);

// --- The routes ----------------------------------------------------------------------------------------

/** Every route the app serves: the test checks this against the app's own OpenAPI document. */
const ROUTES = [
  'GET /api/ping',
  'GET /api/misc/time',
  'GET /api/misc/heavy',
  'POST /api/products',
  'GET /api/products',
  'GET /api/products/last',
  'GET /api/products/:id',
  'POST /api/orders',
  'GET /api/orders/do',
  'GET /api/orders/:id',
  'GET /api/orders',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'GET /openapi.json',
];
const QUERY_KEYS = ['name', 'product', 'page', 'pageSize', 'order', 'order_id', ...KEYS];

const queryText = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), hostile).map(encode),
      fc.oneof(hostile.map(encode), idText.map(encode), rawFragment),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
const anyRequest = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ROUTES).map((route) => route.split(' ')[1]!) },
    {
      weight: 1,
      arbitrary: fc.array(fc.oneof(hostile.map(encode), rawFragment)).map((s) => `/${s.join('/')}`),
    },
  ),
  param: fc.oneof(
    idText.map(encode),
    fc.tuple(hostile.map(encode), rawFragment).map(([a, b]) => a + b),
  ),
  query: queryText,
  contentType: fc.constantFrom(...CONTENT_TYPES),
  accept: fc.constantFrom(...ACCEPTS),
  body: fc.oneof(
    { weight: 20, arbitrary: fc.oneof(bodyText('name'), bodyText('product')) },
    { weight: 1, arbitrary: fc.constant(BIG_BODY) },
  ),
});

const HEAD = { method: 'HEAD' as const, param: '1', contentType: undefined, accept: undefined, body: '' };

// --- The properties ------------------------------------------------------------------------------------

describe('woody-api under fuzzing', () => {
  let app: Awaited<ReturnType<typeof buildTestApp>>;
  /** Everything the properties accepted, to check the tables' growth over the whole file. */
  const accepted = { products: 0, orders: 0 };
  const initial = { products: 0, orders: 0 };
  // Built in a test, not a hook: the helper waits for Redis with expect.poll, which needs a test.
  it('starts on a database and a cache namespace of its own', async () => {
    app = await buildTestApp({
      INSTANCE_ID: 'woody-fuzz',
      REDIS_URL: inject('redisUrl'),
      CACHE_NAMESPACE: `woody_fuzz_${process.pid}`,
      HEAVY_MS: '1',
      DB_SLOW_MS: '5',
      // Overload protection answers 503 on purpose; the fuzzing looks for 5xx that are bugs.
      HEAVY_QUEUE_MAX: '100000',
      MAX_EVENT_LOOP_DELAY_MS: '0',
      DB_TIMEOUT_MS: '15000',
    });
    Object.assign(initial, { products: await count('product'), orders: await count('product_order') });
  });

  const query = async <T extends RowDataPacket>(sql: string, values: unknown[] = []) =>
    (await app.db.query<T[]>(sql, values))[0];
  const count = async (table: 'product' | 'product_order') =>
    Number((await query(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
  const productRow = async (id: number) =>
    (await query('SELECT id, name, created_at FROM product WHERE id = ?', [id])).map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: (row.created_at as Date).toISOString(),
    }))[0];
  const orderRow = async (id: number) =>
    (await query('SELECT id, product FROM product_order WHERE id = ?', [id])).map((row) => ({
      id: Number(row.id),
      product: row.product,
    }))[0];
  /** The statuses the current test's requests got: each property must reach both its answers and its refusals. */
  const statuses = new Set<number>();
  beforeEach(() => statuses.clear());
  const send = async (options: InjectOptions) => {
    const response = await app.inject(options);
    statuses.add(response.statusCode);
    return response;
  };
  const postJson = (url: string, payload: string) =>
    send({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
  const expectAnswer = (response: { statusCode: number; body: string }, status: number) => {
    expect(response.statusCode, response.body).toBe(status);
    if (status >= 400) expect(JSON.parse(response.body)).toMatchObject({ statusCode: status });
  };

  it('fuzzes every route the app serves', () => {
    expectEveryRouteListed(app, ROUTES);
  });

  it(
    'POST /api/products: 201 exactly for a valid name, never coerced, stored exactly as answered',
    async () => {
      await fc.assert(
        fc.asyncProperty(bodyText('name'), async (text) => {
          const before = await count('product');
          const response = await postJson('/api/products', text);
          const body = acceptedBody(text, 'name');
          expectAnswer(response, body ? 201 : 400);
          if (body) {
            accepted.products++;
            const product = response.json();
            expect(product.name).toBe(body.name);
            expect(response.headers.location).toBe(`/api/products/${product.id}`);
            expect(await productRow(product.id)).toEqual(product);
            expect(await count('product')).toBe(before + 1);
          } else {
            expect(await count('product')).toBe(before);
          }
        }),
        {
          ...runs(300),
          // The bugs the fuzzing found, kept as examples: coerced to "123", "Infinity", "true", "a".
          examples: [['{"name":123}'], ['{"name":1e400}'], ['{"name":true}'], ['{"name":["a"]}']],
        },
      );
      expect([...statuses]).toEqual(expect.arrayContaining([201, 400]));
    },
    TIMEOUT,
  );

  it(
    'GET /api/products?product= (legacy add) and the product list: 2xx/400, stored exactly as answered',
    async () => {
      const pageText = fc.oneof(
        fc.integer({ min: -2, max: 200 }).map(String),
        idText,
        fc.constant(undefined),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.option(fc.oneof(plausibleName, hostile), { nil: undefined }),
          pageText,
          pageText,
          fc.boolean(),
          async (product, page, pageSize, json) => {
            const params = Object.entries({ product, page, pageSize })
              .filter(([, value]) => value !== undefined)
              .map(([key, value]) => `${key}=${encode(value!)}`);
            const before = await count('product');
            const response = await send({
              url: `/api/products${params.length ? `?${params.join('&')}` : ''}`,
              headers: json ? { accept: 'application/json' } : {},
            });
            const pageOk = (value: string | undefined, max: number) =>
              value === undefined || acceptedInteger(decoded(value), max) !== undefined;
            const valid =
              pageOk(page, 2 ** 32 - 1) &&
              pageOk(pageSize, 100) &&
              (product === undefined || printable(decoded(product), 100));
            expectAnswer(response, valid ? (product !== undefined && json ? 201 : 200) : 400);
            if (response.statusCode >= 400) {
              expect(await count('product')).toBe(before);
            } else if (product === undefined) {
              const list = response.json();
              expect(list.total).toBe(before);
              const offset = BigInt(list.page - 1) * BigInt(list.pageSize);
              const rows = await query(
                `SELECT id FROM product ORDER BY id LIMIT ${list.pageSize} OFFSET ${offset}`,
              );
              expect(list.items.map((item: { id: number }) => item.id)).toEqual(rows.map((row) => row.id));
            } else {
              accepted.products++;
              expect(await count('product')).toBe(before + 1);
              const id = json ? response.json().id : Number(/\(id (\d+)\)$/.exec(response.body)![1]);
              const stored = await productRow(id);
              expect(stored?.name).toBe(decoded(product));
              if (json) expect(response.json()).toEqual(stored);
              else expect(response.body).toBe(`Product ${stored!.name} added (id ${id})`);
            }
          },
        ),
        {
          ...runs(300),
          // The bugs the fuzzing found: a page past 2^53 or an infinite page size reached the SQL (500).
          examples: [
            [undefined, '5953568433769456016610806', undefined, false],
            [undefined, '1', '1e400', false],
            [undefined, 'Infinity', undefined, true],
          ],
        },
      );
      expect([...statuses]).toEqual(expect.arrayContaining([200, 201, 400]));
    },
    TIMEOUT,
  );

  it(
    'GET /api/products/:id and GET /api/orders/:id, ?order_id=: 400 unless a safe integer id, else the stored row or 404',
    async () => {
      const maxProduct = Number((await query('SELECT MAX(id) AS id FROM product'))[0]!.id);
      await fc.assert(
        fc.asyncProperty(
          // Not empty: "/api/products/" is the list.
          fc.oneof(idText, fc.integer({ min: 1, max: maxProduct }).map(String)).filter((raw) => raw !== ''),
          fc.constantFrom('products', 'orders', 'order_id'),
          async (raw, route) => {
            const url =
              route === 'order_id' ? `/api/orders?order_id=${encode(raw)}` : `/api/${route}/${encode(raw)}`;
            const response = await send({ url, headers: { accept: 'application/json' } });
            const value = decoded(raw);
            const id = acceptedInteger(value);
            const row =
              id === undefined ? undefined : await (route === 'products' ? productRow : orderRow)(id);
            expectAnswer(response, id === undefined ? 400 : row ? 200 : 404);
            if (response.statusCode === 200) {
              const found = response.json();
              const stored = await (route === 'products' ? productRow : orderRow)(found.id);
              expect(found).toMatchObject(stored!);
              expect(found.id).toBeLessThanOrEqual(MAX_SAFE);
            }
          },
        ),
        {
          ...runs(400),
          // The bugs the fuzzing found: ids past 2^53 (1e+23) and infinite ids were looked up (404).
          examples: [
            ['99999999999999999999999', 'products'],
            ['9007199254740992', 'orders'],
            ['Infinity', 'orders'],
            ['1e400', 'order_id'],
          ],
        },
      );
      expect([...statuses]).toEqual(expect.arrayContaining([200, 400, 404]));
    },
    TIMEOUT,
  );

  it(
    'POST /api/orders and GET /api/orders/do?order=: 202 exactly for a valid product name, stored exactly',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            bodyText('product').map((text) => ({ legacy: false as const, text })),
            fc.oneof(plausibleName, hostile).map((text) => ({ legacy: true as const, text })),
          ),
          async ({ legacy, text }) => {
            const before = await count('product_order');
            const response = legacy
              ? await send({
                  url: `/api/orders/do?order=${encode(text)}`,
                  headers: { accept: 'application/json' },
                })
              : await postJson('/api/orders', text);
            const product = legacy
              ? printable(decoded(text), 100)
                ? decoded(text)
                : undefined
              : acceptedBody(text, 'product')?.product;
            expectAnswer(response, product === undefined ? 400 : 202);
            if (product === undefined) {
              expect(await count('product_order')).toBe(before);
              return;
            }
            accepted.orders++;
            const order = response.json();
            expect(order).toMatchObject({ product, status: 'pending' });
            expect(await orderRow(order.id)).toEqual({ id: order.id, product });
            expect(await count('product_order')).toBe(before + 1);
          },
        ),
        {
          ...runs(200),
          examples: [[{ legacy: false, text: '{"product":0}' }]], // was stored as "0"
        },
      );
      expect([...statuses]).toEqual(expect.arrayContaining([202, 400]));
    },
    TIMEOUT,
  );

  it(
    'GET /api/misc/heavy?name=: 200 with the same name exactly for a valid one, else 400',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(plausibleName, hostile), async (name) => {
          const response = await send({
            url: `/api/misc/heavy?name=${encode(name)}`,
            headers: { accept: 'application/json' },
          });
          const valid = printable(decoded(name), 100);
          expectAnswer(response, valid ? 200 : 400);
          if (valid) expect(response.json().name).toBe(decoded(name));
        }),
        runs(100),
      );
      expect([...statuses]).toEqual(expect.arrayContaining([200, 400]));
    },
    TIMEOUT,
  );

  it(
    'any method, path, query, header and body: only 2xx or 4xx, and the app keeps answering',
    async () => {
      await fc.assert(
        fc.asyncProperty(anyRequest, async (request) => {
          const before = { products: await count('product'), orders: await count('product_order') };
          const response = await send(
            anyRequestOptions(request, request.path.replace(/:id$/, request.param) + request.query),
          );
          expectNoServerError(response);
          // Whatever the request, a table grows by one row at most, and only when the answer says so.
          const grown = {
            products: (await count('product')) - before.products,
            orders: (await count('product_order')) - before.orders,
          };
          const ok = response.statusCode < 300 && request.method !== 'HEAD';
          expect(grown.products).toBe(ok && /^\/api\/products\/?$/.test(request.path) ? grown.products : 0);
          expect(grown.orders).toBe(ok && /^\/api\/orders(\/do)?\/?$/.test(request.path) ? grown.orders : 0);
          expect(grown.products + grown.orders).toBeLessThanOrEqual(1);
          accepted.products += grown.products;
          accepted.orders += grown.orders;
          expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
        }),
        {
          ...runs(500),
          // The bug the fuzzing found: a HEAD ran the legacy GETs that write, and added a product or an order.
          examples: [
            [{ ...HEAD, path: '/api/products', query: '?product=ViaHead' }],
            [{ ...HEAD, path: '/api/orders/do', query: '?order=ViaHead' }],
          ],
        },
      );
      expect([...statuses]).toEqual(expect.arrayContaining([200, 400, 404]));
    },
    TIMEOUT,
  );

  it('still answers health checks, and its tables grew by exactly what it accepted', async () => {
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/ready' })).json()).toEqual({
      status: 'ok',
      checks: { database: 'ok' },
    });
    expect(await count('product')).toBe(initial.products + accepted.products);
    expect(await count('product_order')).toBe(initial.orders + accepted.orders);
    const names = await query('SELECT COUNT(*) AS n FROM product WHERE name IN (?)', [
      ['Yoyo', 'Joli train'],
    ]);
    expect(Number(names[0]!.n)).toBeGreaterThanOrEqual(2);
  });
});
