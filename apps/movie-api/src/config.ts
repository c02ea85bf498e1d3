import { Type, type Static } from 'typebox';

const milliseconds = (defaultValue: number) =>
  Type.Integer({ minimum: 0, maximum: 600_000, default: defaultValue });

export const movieConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3001 }),
  HOST: Type.String({ default: '0.0.0.0' }),
  INSTANCE_ID: Type.String({ default: '' }),
  MYSQL_URL: Type.String({ pattern: '^(mysql|mariadb)://' }),
  MYSQL_PASSWORD_FILE: Type.Optional(Type.String()),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  // Bound on every pool acquire (connect included) and every query; past it the API answers 503.
  DB_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 600_000, default: 1000 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  CACHE_ENABLED: Type.Boolean({ default: true }),
  CACHE_NAMESPACE: Type.String({ default: 'movie', pattern: '^[\\w.-]+$' }),
  CACHE_TTL_MS: Type.Integer({ minimum: 1, default: 30_000 }),
  // Off by default. A per-request cost (a sleep, as the tutorial's Flask blocks for its work) behind a FIFO
  // gate of MOVIE_WORK_CONCURRENCY slots: a replica that queues, so more replicas visibly raise throughput.
  MOVIE_WORK_MS: milliseconds(0),
  MOVIE_WORK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 10_000, default: 1 }),
  // Requests that may wait for a work slot per replica; past it 503 with Retry-After at once.
  MOVIE_WORK_QUEUE_MAX: Type.Integer({ minimum: 0, maximum: 100_000, default: 1000 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  SHUTDOWN_GRACE_MS: milliseconds(10_000),
});

export type MovieConfig = Static<typeof movieConfigSchema> & { mysqlPassword?: string };
