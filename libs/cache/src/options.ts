import ms from 'ms';

/** Milliseconds, or a duration string such as '30s', '15 m', '250ms'. */
export type Duration = number | string;

export class CacheOptionError extends Error {
  override name = 'CacheOptionError';
}

/** Parses a Duration into milliseconds; a bad one throws naming the option. */
export function toMilliseconds(option: string, value: Duration, { allowZero = false } = {}): number {
  const parsed = typeof value === 'number' ? value : ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0 || (!allowZero && parsed === 0)) {
    throw new CacheOptionError(
      `${option} must be a positive number of milliseconds or a duration like '30s' (got ${JSON.stringify(value)})`,
    );
  }
  return Math.round(parsed);
}

export interface Serializer<T> {
  serialize(value: T): string;
  deserialize(text: string): T;
}

export const jsonSerializer: Serializer<unknown> = {
  serialize: (value) => JSON.stringify(value),
  deserialize: (text) => JSON.parse(text) as unknown,
};

/** How one kind of value is cached. */
export interface EntryOptions<T = unknown> {
  /** How long a value is fresh. */
  ttl: Duration;
  /** Spread of the TTL as a fraction (0.1 = ±10 %), so keys written together do not expire together. */
  jitter?: number;
  /** After the TTL, serve the old value for this long while exactly one refresh runs. */
  staleWhileRevalidate?: Duration;
  /** Cache `null` results too, for this long (negative caching). Off by default. */
  negativeTtl?: Duration;
  /** Tags for invalidateTag(); every entry also carries its namespace. */
  tags?: readonly string[];
  serializer?: Serializer<T>;
  /** A bounded label for metrics (never the key itself). */
  name?: string;
}

export interface ResolvedEntryOptions {
  ttlMs: number;
  jitter: number;
  graceMs: number;
  negativeTtlMs: number | undefined;
  tags: readonly string[];
  serializer: Serializer<unknown>;
  name: string;
}

export function resolveEntryOptions(
  options: EntryOptions<never> | EntryOptions<unknown>,
): ResolvedEntryOptions {
  const jitter = options.jitter ?? 0.1;
  if (!(jitter >= 0 && jitter < 1))
    throw new CacheOptionError(`jitter must be a fraction from 0 to below 1 (got ${jitter})`);
  for (const tag of options.tags ?? []) {
    if (typeof tag !== 'string' || tag.length === 0)
      throw new CacheOptionError(`tags must be non-empty strings (got ${JSON.stringify(tag)})`);
  }
  return {
    ttlMs: toMilliseconds('ttl', options.ttl),
    jitter,
    graceMs:
      options.staleWhileRevalidate === undefined
        ? 0
        : toMilliseconds('staleWhileRevalidate', options.staleWhileRevalidate, { allowZero: true }),
    negativeTtlMs:
      options.negativeTtl === undefined ? undefined : toMilliseconds('negativeTtl', options.negativeTtl),
    tags: options.tags ?? [],
    serializer: (options.serializer as Serializer<unknown> | undefined) ?? jsonSerializer,
    name: options.name ?? 'getOrSet',
  };
}

/** The TTL with jitter applied: ttl · (1 ± jitter). */
export function jitteredTtl(ttlMs: number, jitter: number, random = Math.random): number {
  return Math.max(1, Math.round(ttlMs * (1 + jitter * (2 * random() - 1))));
}
