export {
  Cache,
  createCache,
  type CachedDefinition,
  type CachedFunction,
  type CacheLogger,
  type CacheOptions,
  type CacheOutcome,
  type Producer,
  type WrapOptions,
} from './cache.js';
export { cached, type CacheHolder, type CachedMethodOptions } from './decorator.js';
export { cachePlugin, setCacheHeaders } from './fastify.js';
export { CacheKeyError, argumentsKey, stableArguments } from './keys.js';
export type { CacheStatus } from './metrics.js';
export {
  CacheOptionError,
  jsonSerializer,
  toMilliseconds,
  type Duration,
  type EntryOptions,
  type Serializer,
} from './options.js';
