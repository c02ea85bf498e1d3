import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { argumentsKey } from './keys.js';
import { createCacheMetrics, type CacheMetrics, type CacheStatus } from './metrics.js';
import {
  CacheOptionError,
  jitteredTtl,
  resolveEntryOptions,
  toMilliseconds,
  type Duration,
  type EntryOptions,
  type ResolvedEntryOptions,
} from './options.js';
import { RedisStore, type Lookup } from './store.js';

export interface CacheLogger {
  warn(details: object, message: string): void;
}

export interface CacheOptions {
  /** redis://host:port; without it (or with enabled: false) every call is a BYPASS to the producer. */
  redisUrl?: string;
  enabled?: boolean;
  /** Prefix of every key of this cache; clear() drops a namespace at once. */
  namespace: string;
  /** prom-client registry for the cache_* metrics (a private one if absent). */
  registry?: Registry;
  logger?: CacheLogger;
  /** Bound on every Redis operation; past it the call goes to the producer (default 50 ms). */
  operationTimeout?: Duration;
  /** How long a producer's lock lasts; renewed while the producer runs (default 10 s). */
  lockLease?: Duration;
  /** How long a caller waits for another replica's producer before running its own (default 30 s). */
  lockWait?: Duration;
  /** How often waiters look for the value, besides the pub/sub signal (default 50 ms). */
  pollInterval?: Duration;
  /** Consecutive Redis failures that open the circuit breaker (default 3). */
  breakerThreshold?: number;
  /** How long the breaker stays open: calls skip Redis entirely (default 1 s). */
  breakerCooldown?: Duration;
  /** Prefix of the Redis keys (default 'cache'). */
  keyPrefix?: string;
  /**
   * One producer across all replicas on a cold miss (default true). When false, a cold miss does not take
   * the Redis lock or wait for another replica's producer: every replica runs its own producer (in-process
   * single flight stays, so one run per replica per key); values are still written fenced. The
   * stale-while-revalidate refresh keeps its lock. For demonstrating the stampede only, never for production.
   */
  crossReplicaLock?: boolean;
}

export interface CacheOutcome<T> {
  value: T;
  status: CacheStatus;
  /** The value came from a producer that another caller ran (RFC 9211 "collapsed"). */
  collapsed: boolean;
  /** Time the producer took, when this call (or the one it joined) ran it. */
  producerMs?: number;
}

export type Producer<T> = () => Promise<T>;

export interface WrapOptions<Args extends unknown[], R> extends Omit<EntryOptions<R>, 'tags' | 'name'> {
  /** Unique within the cache; part of the key (default for the decorator: Class.method). */
  name: string;
  /** Bump to drop every entry written by an older version of the function. */
  version?: number;
  /** Custom key from the arguments (default: a hash of their stable serialization). */
  key?: (...args: Args) => string;
  tags?: readonly string[] | ((...args: Args) => readonly string[]);
}

export interface CachedDefinition<Args extends unknown[], R> {
  keyFor(...args: Args): string;
  entryOptions(...args: Args): EntryOptions<R>;
}

export interface CachedFunction<Args extends unknown[], R> {
  (...args: Args): Promise<R>;
  /** The same call, with the cache's outcome (status for X-Cache). */
  fetch(...args: Args): Promise<CacheOutcome<R>>;
  keyFor(...args: Args): string;
  invalidate(...args: Args): Promise<boolean>;
}

const WARNING_INTERVAL_MS = 10_000;

export class Cache {
  readonly namespace: string;
  readonly metrics: CacheMetrics;
  private readonly store: RedisStore | undefined;
  private readonly logger: CacheLogger | undefined;
  private readonly leaseMs: number;
  private readonly lockWaitMs: number;
  private readonly pollMs: number;
  private readonly breakerThreshold: number;
  private readonly breakerCooldownMs: number;
  private readonly crossReplicaLock: boolean;
  private readonly flights = new Map<string, Promise<CacheOutcome<unknown>>>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly fillWaiters = new Map<string, Set<() => void>>();
  private readonly names = new Set<string>();
  private consecutiveFailures = 0;
  private openUntil = 0;
  private halfOpen = false;
  private lastWarning = 0;
  private suppressedWarnings = 0;

  constructor(options: CacheOptions) {
    if (!options.namespace || !/^[\w.-]+$/.test(options.namespace)) {
      throw new CacheOptionError(
        `namespace must be letters, digits, '.', '_' or '-' (got ${JSON.stringify(options.namespace)})`,
      );
    }
    this.namespace = options.namespace;
    this.metrics = createCacheMetrics(options.registry ?? new Registry());
    this.logger = options.logger;
    this.leaseMs = toMilliseconds('lockLease', options.lockLease ?? 10_000);
    this.lockWaitMs = toMilliseconds('lockWait', options.lockWait ?? 30_000);
    this.pollMs = toMilliseconds('pollInterval', options.pollInterval ?? 50);
    this.breakerThreshold = options.breakerThreshold ?? 3;
    if (!Number.isInteger(this.breakerThreshold) || this.breakerThreshold < 1) {
      throw new CacheOptionError(
        `breakerThreshold must be a whole number ≥ 1 (got ${options.breakerThreshold})`,
      );
    }
    this.breakerCooldownMs = toMilliseconds('breakerCooldown', options.breakerCooldown ?? 1000);
    this.crossReplicaLock = options.crossReplicaLock ?? true;
    if (typeof this.crossReplicaLock !== 'boolean') {
      throw new CacheOptionError(
        `crossReplicaLock must be true or false (got ${JSON.stringify(options.crossReplicaLock)})`,
      );
    }
    const operationTimeoutMs = toMilliseconds('operationTimeout', options.operationTimeout ?? 50);
    if (options.redisUrl !== undefined && !/^rediss?:\/\//.test(options.redisUrl)) {
      throw new CacheOptionError(`redisUrl must start with redis:// or rediss:// (got ${options.redisUrl})`);
    }
    if ((options.enabled ?? true) && options.redisUrl) {
      this.store = new RedisStore({
        url: options.redisUrl,
        prefix: options.keyPrefix ?? 'cache',
        operationTimeoutMs,
        onFill: (key) => this.signalFill(key),
        onError: (operation, error) => this.redisError(operation, error, false),
      });
    }
  }

  /** False when caching is off (no Redis URL or enabled: false): every call is a BYPASS. */
  get enabled(): boolean {
    return this.store !== undefined;
  }

  /** True while the Redis connection is up (calls may still bypass while the breaker is open). */
  get connected(): boolean {
    return this.store?.ready ?? false;
  }

  /** Returns the cached value, or runs the producer (once across all replicas) and caches its result. */
  async getOrSet<T>(key: string, producer: Producer<T>, options: EntryOptions<T>): Promise<T> {
    return (await this.fetch(key, producer, options)).value;
  }

  /** getOrSet with the outcome: hit, miss, stale or bypass, for X-Cache and metrics. */
  async fetch<T>(key: string, producer: Producer<T>, options: EntryOptions<T>): Promise<CacheOutcome<T>> {
    const entry = resolveEntryOptions(options);
    let status: CacheStatus = 'miss';
    try {
      const outcome = await this.resolve(`${this.namespace}:${key}`, entry, producer);
      status = outcome.status;
      return outcome;
    } finally {
      this.metrics.requests.inc({ name: entry.name, result: status });
    }
  }

  /**
   * Registers a cached function's name and returns how its keys and entry options derive from its
   * arguments: the one definition behind both wrap() and the @cached decorator, so both give the same keys.
   */
  define<Args extends unknown[], R>(options: WrapOptions<Args, R>): CachedDefinition<Args, R> {
    if (!options.name)
      throw new CacheOptionError('name is required to cache a function (it is part of the key)');
    if (this.names.has(options.name))
      throw new CacheOptionError(`a cached function named ${options.name} already exists`);
    resolveEntryOptions({ ...options, tags: [] }); // fail at definition, not at the first call
    this.names.add(options.name);
    const version = options.version ?? 1;
    return {
      keyFor: (...args: Args) =>
        options.key
          ? `${options.name}:v${version}:${options.key(...args)}`
          : argumentsKey(options.name, version, args),
      entryOptions: (...args: Args): EntryOptions<R> => ({
        ...options,
        tags: typeof options.tags === 'function' ? options.tags(...args) : options.tags,
      }),
    };
  }

  /** A cached version of `fn`, keyed on its arguments; keeps fn's signature. */
  wrap<Args extends unknown[], R>(
    fn: (...args: Args) => Promise<R>,
    options: WrapOptions<Args, R>,
  ): CachedFunction<Args, R> {
    const { keyFor, entryOptions } = this.define(options);
    const fetch = (...args: Args) => this.fetch(keyFor(...args), () => fn(...args), entryOptions(...args));
    const cachedFunction = async (...args: Args) => (await fetch(...args)).value;
    return Object.assign(cachedFunction, {
      fetch,
      keyFor,
      invalidate: (...args: Args) => this.invalidate(keyFor(...args)),
    });
  }

  /**
   * After this resolves true, no replica serves the old value, and a producer already running cannot write
   * it back. False when Redis could not be reached: entries then live until their TTL (a warning is logged).
   */
  async invalidate(key: string): Promise<boolean> {
    const fullKey = `${this.namespace}:${key}`;
    this.flights.delete(fullKey); // later callers must not join a flight that started before
    const store = this.store;
    if (!store) return true;
    return (await this.attempt('invalidate', () => store.invalidateKey(fullKey))) !== undefined;
  }

  /** Drops every entry carrying this tag, on every replica, in one Redis operation; false if Redis is away. */
  async invalidateTag(tag: string): Promise<boolean> {
    this.flights.clear();
    const store = this.store;
    if (!store) return true;
    return (await this.attempt('invalidate', () => store.invalidateTag(tag))) !== undefined;
  }

  /** Drops every entry of a namespace (this cache's by default); old entries expire by their TTL. */
  async clear(namespace: string = this.namespace): Promise<boolean> {
    return this.invalidateTag(`ns:${namespace}`);
  }

  /** The remaining lifetime of a stored entry in ms (for tests and diagnostics), -2 when absent. */
  async storedTtl(key: string): Promise<number> {
    if (!this.store) return -2;
    return this.store.pttl(`${this.namespace}:${key}`);
  }

  /** Lets background refreshes finish, then closes the Redis connections. */
  async close(): Promise<void> {
    await Promise.allSettled(this.refreshing.values());
    await this.store?.close();
  }

  private async resolve<T>(
    fullKey: string,
    entry: ResolvedEntryOptions,
    producer: Producer<T>,
  ): Promise<CacheOutcome<T>> {
    if (!this.store || !this.usable()) return this.bypass(entry, producer);
    // In-process single flight: concurrent calls for one key in this process share one lookup and producer.
    const flight = this.flights.get(fullKey) as Promise<CacheOutcome<T>> | undefined;
    if (flight) {
      const shared = await flight;
      return { ...shared, collapsed: shared.status === 'miss' || shared.collapsed };
    }
    const started = this.lookupAndProduce(fullKey, entry, producer, this.store);
    this.flights.set(fullKey, started);
    try {
      return await started;
    } finally {
      if (this.flights.get(fullKey) === started) this.flights.delete(fullKey);
    }
  }

  private async lookupAndProduce<T>(
    fullKey: string,
    entry: ResolvedEntryOptions,
    producer: Producer<T>,
    store: RedisStore,
  ): Promise<CacheOutcome<T>> {
    const tags = [...entry.tags, `ns:${this.namespace}`];
    const seen = await this.attempt('lookup', () => store.lookup(fullKey, tags));
    if (!seen) return this.bypass(entry, producer);
    const now = Date.now();
    if (seen.entry && now < seen.entry.f) {
      return { value: entry.serializer.deserialize(seen.entry.v) as T, status: 'hit', collapsed: false };
    }
    if (seen.entry && now < seen.entry.s) {
      this.refreshInBackground(fullKey, tags, entry, producer, store);
      return { value: entry.serializer.deserialize(seen.entry.v) as T, status: 'stale', collapsed: false };
    }
    return this.produceOnce(fullKey, tags, entry, producer, store, seen);
  }

  /**
   * One producer across all replicas: whoever gets the lock produces, the others wait for its value.
   * With crossReplicaLock: false, straight to the producer (one run per replica, for the stampede demo).
   */
  private async produceOnce<T>(
    fullKey: string,
    tags: string[],
    entry: ResolvedEntryOptions,
    producer: Producer<T>,
    store: RedisStore,
    seen: Lookup,
  ): Promise<CacheOutcome<T>> {
    // Demonstration switch: no lock, no waiting, so each replica runs its own producer (still fenced).
    if (!this.crossReplicaLock) return this.produceAndStore(fullKey, entry, producer, store, undefined, seen);
    const token = randomUUID();
    const deadline = Date.now() + this.lockWaitMs;
    let waited = false;
    for (;;) {
      const locked = await this.attempt('lock', () => store.tryLock(fullKey, token, this.leaseMs));
      if (locked === undefined) return this.runProducer(entry, producer, 'bypass');
      if (locked) {
        // Double check: the value may have landed between our lookup and the lock.
        const again = await this.attempt('lookup', () => store.lookup(fullKey, tags));
        if (again?.entry && Date.now() < again.entry.f) {
          await this.attempt('unlock', () => store.releaseLock(fullKey, token));
          if (waited) this.metrics.lockWaits.inc({ name: entry.name, outcome: 'filled' });
          return {
            value: entry.serializer.deserialize(again.entry.v) as T,
            status: waited ? 'miss' : 'hit',
            collapsed: waited,
          };
        }
        return this.produceAndStore(fullKey, entry, producer, store, token, again ?? seen);
      }
      waited = true;
      await this.waitForFill(fullKey);
      const now = await this.attempt('lookup', () => store.lookup(fullKey, tags));
      if (now?.entry && Date.now() < now.entry.f) {
        this.metrics.lockWaits.inc({ name: entry.name, outcome: 'filled' });
        return { value: entry.serializer.deserialize(now.entry.v) as T, status: 'miss', collapsed: true };
      }
      if (Date.now() >= deadline) {
        // The producer elsewhere is too slow or gone: do the work here rather than fail the caller.
        this.metrics.lockWaits.inc({ name: entry.name, outcome: 'timeout' });
        return this.produceAndStore(fullKey, entry, producer, store, undefined, now ?? seen);
      }
      // Otherwise try the lock again: its holder may have failed and released it, or its lease ran out.
    }
  }

  private async produceAndStore<T>(
    fullKey: string,
    entry: ResolvedEntryOptions,
    producer: Producer<T>,
    store: RedisStore,
    token: string | undefined,
    seen: Lookup,
  ): Promise<CacheOutcome<T>> {
    // A producer slower than the lease keeps its lock: renewed at a third of the lease.
    const renewal = token
      ? setInterval(
          () => void store.extendLock(fullKey, token, this.leaseMs).catch(() => undefined),
          this.leaseMs / 3,
        )
      : undefined;
    let outcome: CacheOutcome<T>;
    try {
      outcome = await this.runProducer(entry, producer, 'miss');
    } catch (error) {
      clearInterval(renewal);
      if (token) {
        await this.attempt('unlock', () => store.releaseLock(fullKey, token));
        await this.attempt('publish', () => store.publishFill(fullKey, true));
      }
      throw error;
    }
    clearInterval(renewal);
    await this.storeValue(fullKey, entry, outcome.value, store, seen);
    if (token) {
      await this.attempt('publish', () => store.publishFill(fullKey, false));
      await this.attempt('unlock', () => store.releaseLock(fullKey, token));
    }
    return outcome;
  }

  private async storeValue(
    fullKey: string,
    entry: ResolvedEntryOptions,
    value: unknown,
    store: RedisStore,
    seen: Lookup,
  ) {
    if (value === undefined) return; // undefined is "nothing to cache"
    if (value === null && entry.negativeTtlMs === undefined) return;
    const ttlMs = jitteredTtl(value === null ? entry.negativeTtlMs! : entry.ttlMs, entry.jitter);
    const now = Date.now();
    const stored = {
      v: entry.serializer.serialize(value),
      f: now + ttlMs,
      s: now + ttlMs + entry.graceMs,
      g: seen.tagGenerations,
    };
    await this.attempt('write', () => store.fencedSet(fullKey, stored, ttlMs + entry.graceMs, seen));
  }

  private async runProducer<T>(
    entry: ResolvedEntryOptions,
    producer: Producer<T>,
    status: 'miss' | 'bypass',
  ) {
    this.metrics.producerRuns.inc({ name: entry.name });
    const started = performance.now();
    const value = await producer();
    const producerMs = performance.now() - started;
    this.metrics.producerSeconds.observe({ name: entry.name }, producerMs / 1000);
    return { value, status, collapsed: false, producerMs } satisfies CacheOutcome<T>;
  }

  private bypass<T>(entry: ResolvedEntryOptions, producer: Producer<T>): Promise<CacheOutcome<T>> {
    return this.runProducer(entry, producer, 'bypass');
  }

  /** Stale-while-revalidate: one refresh across all replicas, through the same lock as a cold miss. */
  private refreshInBackground<T>(
    fullKey: string,
    tags: string[],
    entry: ResolvedEntryOptions,
    producer: Producer<T>,
    store: RedisStore,
  ) {
    if (this.refreshing.has(fullKey)) return;
    const token = randomUUID();
    const refresh = (async () => {
      try {
        if (!(await this.attempt('lock', () => store.tryLock(fullKey, token, this.leaseMs)))) return;
        const again = await this.attempt('lookup', () => store.lookup(fullKey, tags));
        if (!again || (again.entry && Date.now() < again.entry.f)) {
          await this.attempt('unlock', () => store.releaseLock(fullKey, token));
          return;
        }
        await this.produceAndStore(fullKey, entry, producer, store, token, again);
      } catch (error) {
        this.warn('refresh', error as Error);
      } finally {
        this.refreshing.delete(fullKey);
      }
    })();
    this.refreshing.set(fullKey, refresh);
  }

  private waitForFill(fullKey: string): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.fillWaiters.get(fullKey) ?? new Set();
      this.fillWaiters.set(fullKey, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0) this.fillWaiters.delete(fullKey);
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      waiters.add(done);
    });
  }

  private signalFill(fullKey: string): void {
    for (const done of [...(this.fillWaiters.get(fullKey) ?? [])]) done();
  }

  /** Circuit breaker: after repeated failures, skip Redis for a cooldown instead of paying the timeout each call. */
  private usable(): boolean {
    if (!this.store?.ready) return false;
    if (this.openUntil === 0) return true;
    if (Date.now() < this.openUntil) return false;
    this.openUntil = 0;
    this.halfOpen = true;
    return true;
  }

  /** Runs one Redis operation; a failure is counted, logged (rate-limited) and answered with undefined. */
  private async attempt<T>(operation: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await work();
      this.consecutiveFailures = 0;
      this.halfOpen = false;
      return result;
    } catch (error) {
      this.redisError(operation, error as Error, true);
      return undefined;
    }
  }

  private redisError(operation: string, error: Error, countsForBreaker: boolean): void {
    this.metrics.errors.inc({ operation });
    if (countsForBreaker) {
      this.consecutiveFailures++;
      if (this.halfOpen || this.consecutiveFailures >= this.breakerThreshold) {
        this.openUntil = Date.now() + this.breakerCooldownMs;
        this.consecutiveFailures = 0;
        this.halfOpen = false;
      }
    }
    this.warn(operation, error);
  }

  private warn(operation: string, error: Error): void {
    const now = Date.now();
    if (now - this.lastWarning < WARNING_INTERVAL_MS) {
      this.suppressedWarnings++;
      return;
    }
    this.logger?.warn(
      { operation, err: error.message, suppressedSinceLast: this.suppressedWarnings },
      'cache unavailable: calling producers directly until Redis answers again',
    );
    this.lastWarning = now;
    this.suppressedWarnings = 0;
  }
}

export function createCache(options: CacheOptions): Cache {
  return new Cache(options);
}
