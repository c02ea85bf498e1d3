import type { Cache, CachedDefinition, WrapOptions } from './cache.js';

/** A class whose methods use @cached exposes the Cache they go through. */
export interface CacheHolder {
  readonly cache: Cache;
}

export type CachedMethodOptions<Args extends unknown[], R> = Omit<WrapOptions<Args, R>, 'name'> & {
  /** Default: ClassName.methodName. */
  name?: string;
};

/**
 * Standard (TC39) method decorator: `@cached({ ttl: '30s' })` on an async method of a class that has a
 * `cache` property. Same behaviour and same keys as `cache.wrap(fn, { name: 'ClassName.method' })`.
 */
export function cached<This extends CacheHolder, Args extends unknown[], R>(
  options: CachedMethodOptions<Args, R>,
) {
  return function decorate(
    method: (this: This, ...args: Args) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<R>>,
  ) {
    if (context.static || context.private) throw new Error('@cached applies to public instance methods');
    // Defined once per cache, on first use: the cache is only known once an instance exists.
    const definitions = new WeakMap<Cache, CachedDefinition<Args, R>>();
    return function (this: This, ...args: Args): Promise<R> {
      let definition = definitions.get(this.cache);
      if (!definition) {
        definition = this.cache.define<Args, R>({
          ...options,
          name: options.name ?? `${this.constructor.name}.${String(context.name)}`,
        });
        definitions.set(this.cache, definition);
      }
      return this.cache.getOrSet(
        definition.keyFor(...args),
        () => method.apply(this, args),
        definition.entryOptions(...args),
      );
    };
  };
}
