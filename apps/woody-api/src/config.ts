import { Type, type Static } from 'typebox';

const milliseconds = (defaultValue: number, description: string, maximum = 600_000) =>
  Type.Integer({ minimum: 0, maximum, default: defaultValue, description });

export const woodyConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  INSTANCE_ID: Type.String({ default: '' }),
  MYSQL_URL: Type.String({ pattern: '^(mysql|mariadb)://' }),
  MYSQL_PASSWORD_FILE: Type.Optional(Type.String()),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  DB_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    maximum: 600_000,
    default: 1000,
    description:
      'bound on every pool acquire (connect included) and every query; past it the API answers 503',
  }),
  DB_SLOW_MS: milliseconds(2000, 'SLEEP() inside the database for /api/products/last', 60_000),
  HEAVY_MODE: Type.Union([Type.Literal('sleep'), Type.Literal('cpu')], { default: 'sleep' }),
  HEAVY_MS: milliseconds(1000, 'duration of one heavy computation in sleep mode', 60_000),
  HEAVY_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 10_000, default: 1 }),
  HEAVY_CPU_ITERATIONS: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 100_000 }),
  WRITE_RATE_LIMIT: Type.Integer({
    minimum: 0,
    maximum: 1_000_000,
    default: 600,
    description: 'writes per minute per write route, client address and replica; 0: no limit',
  }),
  HEAVY_QUEUE_MAX: Type.Integer({
    minimum: 0,
    maximum: 100_000,
    default: 100,
    description: 'heavy requests that may wait per replica; past it 503 with Retry-After',
  }),
  MAX_EVENT_LOOP_DELAY_MS: milliseconds(
    1000,
    'load shedding: while the mean event-loop delay exceeds this, API requests get 503; 0 turns it off',
  ),
  ORDER_LEASE_MS: milliseconds(120_000, 'how long a claimed pending order is left to its replica'),
  ORDER_RECOVERY_INTERVAL_MS: milliseconds(
    5000,
    'how often pending orders of crashed replicas are looked for',
  ),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  CACHE_ENABLED: Type.Boolean({ default: true }),
  CACHE_CROSS_REPLICA_LOCK: Type.Boolean({ default: true }),
  CACHE_NAMESPACE: Type.String({ default: 'woody', pattern: '^[\\w.-]+$' }),
  CACHE_HEAVY_TTL_MS: Type.Integer({
    minimum: 1,
    default: 30_000,
    description: 'how long a heavy result stays cached',
  }),
  CACHE_LAST_TTL_MS: Type.Integer({
    minimum: 1,
    default: 15_000,
    description: 'how long the product summary stays cached',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  SHUTDOWN_GRACE_MS: milliseconds(10_000, 'max time to finish in-flight requests on SIGTERM'),
});

export type WoodyConfig = Static<typeof woodyConfigSchema> & {
  /** From MYSQL_PASSWORD_FILE, read by main.ts. */
  mysqlPassword?: string;
};
