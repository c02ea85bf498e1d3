import { Redis, type RedisOptions } from 'ioredis';

/** What one stored entry holds, besides the serialized value. */
export interface StoredEntry {
  /** serialized value */
  v: string;
  /** fresh until (epoch ms) */
  f: number;
  /** servable stale until (epoch ms) */
  s: number;
  /** generations of the entry's tags when it was produced */
  g: Record<string, string>;
}

export interface Lookup {
  entry: StoredEntry | null;
  /** The key's and tags' generations now: a write is fenced on them staying the same. */
  keyGeneration: string;
  tagGenerations: Record<string, string>;
}

// Set the entry only if neither the key nor any of its tags was invalidated since the producer started.
const FENCED_SET = `
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[3] then return 0 end
for i = 3, #KEYS do
  local tag = redis.call('GET', KEYS[i]) or '0'
  if tag ~= ARGV[i + 1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

// Only the holder of the token may release or extend a lock.
const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const EXTEND_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

interface ScriptedRedis extends Redis {
  fencedSet(...args: (string | number)[]): Promise<number>;
  releaseIfOwner(lockKey: string, token: string): Promise<number>;
  extendIfOwner(lockKey: string, token: string, leaseMs: number): Promise<number>;
}

export interface StoreOptions {
  url: string;
  prefix: string;
  operationTimeoutMs: number;
  onFill: (key: string, failed: boolean) => void;
  onError: (operation: string, error: Error) => void;
}

/**
 * The Redis side of the cache. ioredis is set up to fail fast instead of queueing: with the offline queue
 * off and a per-command timeout, a dead or frozen Redis costs at most the timeout, never a hang.
 */
export class RedisStore {
  private readonly client: ScriptedRedis;
  private readonly subscriber: Redis;
  private readonly channel: string;

  constructor(private readonly options: StoreOptions) {
    const connection: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.operationTimeoutMs,
      connectTimeout: 1000,
      retryStrategy: (times) => Math.min(times * 100, 1000),
      lazyConnect: false,
    };
    this.client = new Redis(options.url, connection) as ScriptedRedis;
    this.client.defineCommand('fencedSet', { lua: FENCED_SET });
    this.client.defineCommand('releaseIfOwner', { numberOfKeys: 1, lua: RELEASE_IF_OWNER });
    this.client.defineCommand('extendIfOwner', { numberOfKeys: 1, lua: EXTEND_IF_OWNER });
    this.client.on('error', (error: Error) => options.onError('connection', error));

    // Pub/sub is a hint that a value landed; waiters poll too, so a lost message only costs a poll interval.
    this.channel = `${options.prefix}:fills`;
    this.subscriber = this.client.duplicate({ commandTimeout: undefined });
    this.subscriber.on('error', (error: Error) => options.onError('subscriber', error));
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).catch((error: Error) => options.onError('subscribe', error));
    });
    this.subscriber.on('message', (_channel: string, message: string) => {
      const failed = message.startsWith('!');
      options.onFill(failed ? message.slice(1) : message, failed);
    });
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  private entryKey = (key: string) => `${this.options.prefix}:e:${key}`;
  private keyGenerationKey = (key: string) => `${this.options.prefix}:g:${key}`;
  private tagKey = (tag: string) => `${this.options.prefix}:t:${tag}`;
  lockKey = (key: string) => `${this.options.prefix}:l:${key}`;

  /** One round trip: the entry, the key's generation and the tags' generations. */
  async lookup(key: string, tags: readonly string[]): Promise<Lookup> {
    const pipeline = this.client.pipeline().get(this.entryKey(key)).get(this.keyGenerationKey(key));
    if (tags.length > 0) pipeline.mget(...tags.map(this.tagKey));
    const results = await pipeline.exec();
    if (!results) throw new Error('pipeline discarded');
    for (const [error] of results) if (error) throw error;
    const raw = results[0]![1] as string | null;
    const tagValues = tags.length > 0 ? (results[2]![1] as (string | null)[]) : [];
    const tagGenerations = Object.fromEntries(tags.map((tag, i) => [tag, tagValues[i] ?? '0']));
    let entry = raw ? (JSON.parse(raw) as StoredEntry) : null;
    // An entry produced before one of its tags was invalidated is as good as gone.
    if (entry && tags.some((tag) => (entry!.g[tag] ?? '0') !== tagGenerations[tag])) entry = null;
    return { entry, keyGeneration: (results[1]![1] as string | null) ?? '0', tagGenerations };
  }

  /** Writes unless the key or a tag was invalidated since `seen` was looked up; true when written. */
  async fencedSet(key: string, entry: StoredEntry, pttlMs: number, seen: Lookup): Promise<boolean> {
    const tags = Object.keys(seen.tagGenerations);
    const written = await this.client.fencedSet(
      2 + tags.length,
      this.entryKey(key),
      this.keyGenerationKey(key),
      ...tags.map(this.tagKey),
      JSON.stringify(entry),
      pttlMs,
      seen.keyGeneration,
      ...tags.map((tag) => seen.tagGenerations[tag]!),
    );
    return written === 1;
  }

  async tryLock(key: string, token: string, leaseMs: number): Promise<boolean> {
    return (await this.client.set(this.lockKey(key), token, 'PX', leaseMs, 'NX')) === 'OK';
  }

  async lockHeld(key: string): Promise<boolean> {
    return (await this.client.exists(this.lockKey(key))) === 1;
  }

  async extendLock(key: string, token: string, leaseMs: number): Promise<boolean> {
    return (await this.client.extendIfOwner(this.lockKey(key), token, leaseMs)) === 1;
  }

  async releaseLock(key: string, token: string): Promise<boolean> {
    return (await this.client.releaseIfOwner(this.lockKey(key), token)) === 1;
  }

  async publishFill(key: string, failed: boolean): Promise<void> {
    await this.client.publish(this.channel, failed ? `!${key}` : key);
  }

  async invalidateKey(key: string): Promise<void> {
    const results = await this.client
      .multi()
      .incr(this.keyGenerationKey(key))
      .unlink(this.entryKey(key))
      .exec();
    for (const [error] of results ?? []) if (error) throw error;
  }

  async invalidateTag(tag: string): Promise<void> {
    await this.client.incr(this.tagKey(tag));
  }

  async pttl(key: string): Promise<number> {
    return this.client.pttl(this.entryKey(key));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()]);
    this.client.disconnect();
    this.subscriber.disconnect();
  }
}
