import { fail, pass, type Check, type CheckContext } from '../check.js';
import { call, describeOutcome, freshName, millis, ok, type Answer, type Outcome } from '../http.js';
import { sheet } from '../sheet-names.js';
import { productId } from './consistency.js';

/** A HIT must be this much faster than the MISS that filled it. */
const HIT_SPEEDUP = 5;

const heavyUrl = (context: CheckContext, name: string) =>
  `${context.site}/api/misc/heavy?name=${encodeURIComponent(name)}`;

const xCache = (outcome: Answer) => outcome.cache ?? 'no X-Cache header';

export function cacheHitCheck(): Check {
  return {
    id: 'cache-hit',
    name: 'cache: MISS then HIT, one entry per name',
    timeoutMs: 90_000,
    async run(context) {
      const lookAt =
        `the cache in front of heavy: is it on (CACHE_ENABLED, REDIS_URL), and is its key built from the ` +
        `request's name? (${sheet(context.lab)})`;
      const name = freshName('cache');
      context.progress('a fresh heavy name twice, then another name');
      const first = await call(heavyUrl(context, name));
      const second = await call(heavyUrl(context, name));
      const other = await call(heavyUrl(context, freshName('cache-other')));
      const broken = [first, second, other].find((outcome) => !ok(outcome));
      if (broken) return fail(`heavy: ${describeOutcome(broken)}`, lookAt);
      const [a, b, c] = [first, second, other] as Answer[] as [Answer, Answer, Answer];
      const data = {
        first: { xCache: a.cache, ms: a.ms },
        second: { xCache: b.cache, ms: b.ms },
        otherName: { xCache: c.cache, ms: c.ms },
      };
      const evidence =
        `first ${xCache(a)} in ${millis(a.ms)}, second ${xCache(b)} in ${millis(b.ms)}, ` +
        `another name ${xCache(c)} in ${millis(c.ms)}`;
      if (a.cache !== 'MISS' || b.cache !== 'HIT')
        return fail(`${evidence}: the lab wants MISS then HIT`, lookAt, data);
      if (b.ms * HIT_SPEEDUP > a.ms) {
        return fail(`${evidence}: the HIT is not ${HIT_SPEEDUP}× faster than the MISS`, lookAt, data);
      }
      if (c.cache === 'HIT') {
        return fail(
          `${evidence}: two names share one entry`,
          `the cache key: the lab's decorator keyed on the view's (absent) arguments, so every name got the ` +
            `first name's result; key on the request's name (${sheet(context.lab)})`,
          data,
        );
      }
      return pass(`${evidence} (${(a.ms / b.ms).toFixed(0)}× faster)`, data);
    },
  };
}

interface Summary {
  count: number;
  last: { id: number; name: string } | null;
}

function summaryOf(outcome: Outcome): Summary | undefined {
  if (!ok(outcome)) return undefined;
  try {
    return JSON.parse(outcome.body) as Summary;
  } catch {
    return undefined;
  }
}

/** Wants the product summary cached, then never stale after a product is added, on any replica. */
export function cacheInvalidationCheck(): Check {
  return {
    id: 'cache-invalidation',
    name: 'stale cache entries never served after a write',
    timeoutMs: 120_000,
    async run(context) {
      const lastUrl = `${context.site}/api/products/last`;
      const read = () => call(lastUrl, { headers: { accept: 'application/json' }, timeoutMs: 70_000 });
      context.progress('reading products/last twice (the first may run the slow query)');
      const warm = await read();
      const cached = await read();
      if (!ok(warm) || !ok(cached)) {
        return fail(
          `products/last: ${describeOutcome(ok(warm) ? cached : warm)}`,
          `the replicas' logs and the database`,
        );
      }
      if (cached.cache !== 'HIT') {
        return fail(
          `products/last read twice: ${xCache(warm)} then ${xCache(cached)} — not cached, nothing to invalidate`,
          `the cache decorator on products/last (${sheet(context.lab)})`,
        );
      }
      const name = freshName('stale');
      const added = await call(`${context.site}/api/products`, { method: 'POST', json: { name } });
      if (!ok(added) || productId(added) === undefined) {
        return fail(
          `adding a product: ${describeOutcome(added)}`,
          `POST ${context.site}/api/products {"name": …}`,
        );
      }
      const reads = 2 * context.replicas;
      context.progress(`reading products/last ${reads} times after adding ${name}`);
      const readers = new Set<string>();
      for (let i = 0; i < reads; i++) {
        const outcome = await read();
        const summary = summaryOf(outcome);
        if (!summary)
          return fail(`products/last after the write: ${describeOutcome(outcome)}`, `the replicas' logs`);
        const answer = outcome as Answer;
        readers.add(answer.instance ?? '?');
        if (summary.last?.name !== name) {
          return fail(
            `read ${i + 1} after the write (${answer.instance ?? '?'}, ${xCache(answer)}) names ` +
              `"${summary.last?.name ?? 'none'}", not the new product`,
            `adding a product must delete the cached summary (in the shared cache, for every replica) ` +
              `(${sheet(context.lab)})`,
            { stale: summary.last?.name, expected: name, read: i + 1 },
          );
        }
      }
      return pass(
        `cached before the write (HIT); ${reads}/${reads} reads after it name the new product ` +
          `(${readers.size} replica(s): ${[...readers].join(', ')})`,
        { reads, readers: [...readers] },
      );
    },
  };
}
