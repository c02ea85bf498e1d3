import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

const stringify = configure({ bigint: true, circularValue: Error, deterministic: true });

export class CacheKeyError extends Error {
  override name = 'CacheKeyError';
}

/**
 * A stable text for a list of arguments: object keys sorted, so {a:1,b:2} and {b:2,a:1} agree.
 * Arguments that cannot be told apart once serialized (functions, symbols, circular objects) are refused.
 */
export function stableArguments(args: readonly unknown[]): string {
  try {
    return stringify(args, (_key, value: unknown) => {
      if (typeof value === 'function' || typeof value === 'symbol') {
        throw new CacheKeyError(`cannot build a cache key from a ${typeof value} argument`);
      }
      return value;
    }) as string;
  } catch (error) {
    if (error instanceof CacheKeyError) throw error;
    throw new CacheKeyError(`cannot build a cache key from these arguments: ${(error as Error).message}`);
  }
}

/** name + version + a hash of the arguments: readable prefix, bounded length, no user text in it. */
export function argumentsKey(name: string, version: number, args: readonly unknown[]): string {
  const digest = createHash('sha256').update(stableArguments(args)).digest('base64url').slice(0, 22);
  return `${name}:v${version}:${digest}`;
}
