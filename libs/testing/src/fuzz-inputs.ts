import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * Hostile inputs for property-based fuzzing with fast-check, and the oracles that say what an API must
 * make of them, shared by both APIs' fuzz tests.
 */

/** FUZZ_SCALE=10 runs ten times as many cases. */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
export const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * SCALE)) });
export const FUZZ_TIMEOUT = 60_000 * SCALE;

export const SQL = [
  "'",
  '"',
  '`',
  '\\',
  ';',
  '--',
  '/*',
  '*/',
  '#',
  '%',
  '_',
  "' OR '1'='1",
  "x'); DROP TABLE product; --",
  "x'); DROP TABLE movie; --",
  '1; DELETE FROM product_order; --',
  "' UNION SELECT 1,2,3 --",
  "\\'; SELECT SLEEP(5); --",
  'NULL',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
];
export const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];
export const UNICODE = [
  'é',
  'ß',
  'İ',
  'ﬃ',
  '中文',
  '👍🏽',
  '🏳️‍🌈',
  'e\u0301',
  '\u00a0',
  '\u2028',
  '\u202e', // right-to-left override (Cf)
  '\u200b', // zero width space (Cf)
  '\ufeff', // BOM (Cf)
  '\ud800', // lone surrogates (Cs)
  '\udfff',
  '\uffff', // noncharacter (Cn)
  '\ue000', // private use (Co)
  '\u{10ffff}',
  '\u{1f600}',
  '\u0000',
];
export const NUMERIC = [
  '0',
  '-0',
  '-1',
  '1',
  '01',
  '1.0',
  '1.5',
  '7.25',
  '1e3',
  '1e400',
  '-1e400',
  '1e-400',
  '0x10',
  '0b1',
  ' 1',
  '1 ',
  '+1',
  'NaN',
  'Infinity',
  '-Infinity',
  '9007199254740991',
  '9007199254740992',
  '99999999999999999999999',
  '4294967295',
  '4294967296',
  '18446744073709551616',
  '٣',
  '１',
];
const control = fc.string({
  unit: fc.integer({ min: 0, max: 0x40 }).map((c) => String.fromCharCode(c < 0x20 ? c : c + 0x5f)),
  minLength: 1,
  maxLength: 4,
});
const piece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(...SQL, ...KEYS, ...UNICODE, ...NUMERIC),
  control,
);

/** Random, hostile, oversize and boundary strings (around both APIs' 100 and 200 code point limits). */
export const hostile = fc.oneof(
  { weight: 8, arbitrary: fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.string({ unit: 'grapheme-composite', minLength: 98, maxLength: 102 }),
      fc.string({ unit: 'grapheme-composite', minLength: 198, maxLength: 202 }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'x'.repeat(100),
      'x'.repeat(101),
      'é'.repeat(100),
      '😀'.repeat(100),
      '😀'.repeat(101),
      '😀'.repeat(200),
      '😀'.repeat(201),
      'x'.repeat(5000),
    ),
  },
);

/** Mostly valid texts (printable, 1–`max` code points), to reach the handlers and the database. */
export const plausibleText = (max: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: max }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
    fc.constantFrom(...SQL, ...UNICODE.filter((s) => /^[^\p{C}]+$/u.test(s))),
  );

/** A JSON text for a field's value: strings, other types and prototype-poisoning objects. */
export const valueText = (plausible: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.oneof(hostile, plausible).map((s) => JSON.stringify(s)) },
    {
      weight: 2,
      arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean()).map((v) => JSON.stringify(v)),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'null',
        '123',
        '-0',
        '5',
        '7.25',
        '1e400',
        '-1e400',
        '1e-400',
        'true',
        '[]',
        '["a"]',
        '[5]',
        '{}',
        '"5"',
        '"\\u0000"',
        '"\\ud800"',
        '{"__proto__":{"isAdmin":true}}',
        '{"constructor":{"prototype":{"isAdmin":true}}}',
      ),
    },
  );

/** A JSON object text with some of these fields (or others) and any values. */
export const objectText = (fields: string[], values: fc.Arbitrary<string>) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...fields).map((k) => JSON.stringify(k)) },
          { weight: 2, arbitrary: fc.constantFrom(...KEYS).map((k) => JSON.stringify(k)) },
          { weight: 1, arbitrary: fc.constant('"\\u005f_proto__"') },
          { weight: 1, arbitrary: hostile.map((k) => JSON.stringify(k)) },
        ),
        values,
      ),
      { maxLength: fields.length + 3 },
    )
    .map((members) => `{${members.map(([k, v]) => `${k}:${v}`).join(',')}}`);

/** Bodies that are not a JSON object, not JSON at all, or JSON with a twist, for a route with this field. */
export const oddBodyText = (field: string) =>
  fc.constantFrom(
    '',
    ' ',
    'null',
    '[]',
    '"x"',
    '123',
    '{',
    `{"${field}":`,
    `{"${field}":"a",}`,
    `\ufeff{"${field}":"bom"}`,
    `{"${field}":"a"}garbage`,
    ` {"${field}":"spaces"} `,
    `{"${field}":"a","${field}":123}`,
    `{"${field}":123,"${field}":"a"}`,
    `{"__proto__":{"${field}":"a"},"${field}":"b"}`,
    `{"${field}":"a","constructor":{"prototype":{}}}`,
    `{"${field}":"a","constructor":1}`,
  );

/** Raw URL fragments no well-behaved client sends. */
export const rawFragment = fc.constantFrom(
  '%',
  '%zz',
  '%00',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '%2F',
  '..',
  '%2e%2e',
  '+',
  ';',
  ',',
  '//',
  '%0D%0ASet-Cookie:%20x=1',
);

export const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json\u0000',
];
export const ACCEPTS = [undefined, 'application/json', 'text/plain', '*/*', '\u00ff', 'application/json, x'];
export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
/** Past Fastify's 1 MiB body limit. */
export const BIG_BODY = JSON.stringify({ name: 'x'.repeat(1_100_000), title: 'x' });

// --- Oracles: what the APIs must make of an input, written independently of their schemas --------------

/** 1–`max` code points, none of them control, format, surrogate, private-use or unassigned. */
export const printable = (value: unknown, max: number): value is string =>
  typeof value === 'string' && /^[^\p{C}]+$/u.test(value) && [...value].length <= max;

/** What Fastify's JSON parser (secure-json-parse) refuses: prototype poisoning, at any depth. */
function poisoned(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Object.hasOwn(value, '__proto__')) return true;
  const ctor = Object.hasOwn(value, 'constructor') ? (value as { constructor: unknown }).constructor : null;
  if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) return true;
  return Object.values(value).some(poisoned);
}

/** The JSON object a body text holds, as Fastify parses it, or undefined if Fastify must refuse it (400). */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\ufeff/, ''));
  } catch {
    return undefined;
  }
  if (poisoned(parsed) || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return undefined;
  return parsed as Record<string, unknown>;
}

/**
 * The number a query or path value stands for, if any: what Ajv's coercion makes of the text (it reads
 * " 7", "7.0", "0x7" and "7e0" as 7 too), and finite.
 */
export function coercedNumber(raw: string): number | undefined {
  const value = Number(raw);
  return raw !== '' && Number.isFinite(value) ? value : undefined;
}

/** The integer a query or path value stands for, if the API must accept it: from 1 to `max`. */
export function acceptedInteger(raw: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = coercedNumber(raw);
  return value !== undefined && Number.isInteger(value) && value >= 1 && value <= max ? value : undefined;
}

/** Percent-encodes every byte but unreserved characters (lone surrogates become U+FFFD, as in UTF-8). */
export const encode = (value: string) =>
  [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** What a value encoded with encode() is once the server decodes it. */
export const decoded = (value: string) => value.replace(/\p{Cs}/gu, '\ufffd');

/** What the route check needs of an app: its OpenAPI document and its router. */
export interface FuzzedApp {
  swagger(): { paths?: Record<string, object | undefined> };
  hasRoute(route: { method: 'GET'; url: string }): boolean;
}

/** Every route the app documents is in `routes` (so it is fuzzed), and every one of `routes` exists. */
export function expectEveryRouteListed(app: FuzzedApp, routes: readonly string[]): void {
  const documented = Object.entries(app.swagger().paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item ?? {}).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
  expect(routes).toEqual(expect.arrayContaining(documented));
  for (const route of routes) {
    const [method, url] = route.split(' ') as [string, string];
    expect(app.hasRoute({ method: method as 'GET', url }), route).toBe(true);
  }
}

/** A catch-all request as inject() options: its method and headers, and its body but for GET and HEAD. */
export function anyRequestOptions<M extends (typeof METHODS)[number]>(
  request: { method: M; contentType?: string; accept?: string; body: string },
  url: string,
) {
  return {
    method: request.method,
    url,
    headers: {
      ...(request.contentType === undefined ? {} : { 'content-type': request.contentType }),
      ...(request.accept === undefined ? {} : { accept: request.accept }),
    },
    ...(request.method === 'GET' || request.method === 'HEAD' ? {} : { payload: request.body }),
  };
}

/** Only 2xx or 4xx: a hostile request never makes the app fail (5xx). */
export function expectNoServerError(response: { statusCode: number; body: string }): void {
  expect(response.statusCode, response.body.slice(0, 500)).toBeGreaterThanOrEqual(200);
  expect(response.statusCode, response.body.slice(0, 500)).toBeLessThan(500);
}
