import { fail, NO_INSTANCE_HEADER, pass, skip, type Check, type CheckContext } from '../check.js';
import { call, describeOutcome, freshName, ok, type Answer, type Outcome } from '../http.js';
import { sheet } from '../sheet-names.js';

/** Reads until another replica than the writer answered; sequential, so the proxy rotates. */
const MAX_READS = 30;

interface Written {
  writer: string | undefined;
  /** Reads one copy back: the answer, and whether it holds what was written. */
  read(): Promise<{ outcome: Outcome; matches: boolean }>;
}

/**
 * Reads back what `written` wrote until a replica other than the writer answers with it. A reader that
 * answers without it (404, other data) means the replicas do not share their data: the lab-1 trap.
 */
async function readThroughAnother(context: CheckContext, what: string, written: Written) {
  if (!written.writer) return skip(NO_INSTANCE_HEADER);
  const readers = new Map<string, number>();
  for (let i = 0; i < MAX_READS; i++) {
    const { outcome, matches } = await written.read();
    if (!ok(outcome) && outcome.status !== 404) {
      return fail(`reading ${what} back: ${describeOutcome(outcome)}`, `the replicas' logs`);
    }
    // A Failure returned above: this one answered.
    const reader = (outcome as Answer).instance ?? '?';
    readers.set(reader, (readers.get(reader) ?? 0) + 1);
    if (!matches) {
      return fail(
        `${what} written through ${written.writer}, ${reader} answers ${describeOutcome(outcome)} without it`,
        `where each replica keeps its data: they must share one database, not a file each ` +
          `(${sheet(context.lab)})`,
        { writer: written.writer, reader },
      );
    }
    if (reader !== written.writer) {
      return pass(`${what} written through ${written.writer}, read back through ${reader} (read ${i + 1})`, {
        writer: written.writer,
        reader,
        reads: i + 1,
      });
    }
  }
  return fail(
    `${what} written through ${written.writer}; ${MAX_READS} reads all answered by the writer`,
    `are there several replicas behind the proxy, and does it spread sequential requests? (${sheet(context.lab)})`,
    { writer: written.writer, readers: Object.fromEntries(readers) },
  );
}

/** Adds a product (POST /api/products, or the legacy GET ?product= on a stack without it). */
async function addProduct(context: CheckContext, name: string) {
  const api = `${context.site}/api/products`;
  const posted = await call(api, { method: 'POST', json: { name } });
  if (posted.status !== 404 && posted.status !== 405) return posted;
  return call(`${api}?product=${encodeURIComponent(name)}`, { headers: { accept: 'application/json' } });
}

export function productId(outcome: Answer): number | undefined {
  try {
    const id = (JSON.parse(outcome.body) as { id?: unknown }).id;
    return typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

function nameIn(outcome: Outcome, key: 'name' | 'title', expected: string): boolean {
  if (!ok(outcome)) return false;
  try {
    return (JSON.parse(outcome.body) as Record<string, unknown>)[key] === expected;
  } catch {
    return false;
  }
}

export function productWriteReadCheck(): Check {
  return {
    id: 'product-write-read',
    name: 'written through one replica, read through another',
    timeoutMs: 60_000,
    async run(context) {
      const name = freshName('product');
      const added = await addProduct(context, name);
      const id = ok(added) ? productId(added) : undefined;
      if (!ok(added) || id === undefined) {
        return fail(
          `adding a product: ${describeOutcome(added)}`,
          `POST ${context.site}/api/products {"name": …} should answer 201 with the product`,
        );
      }
      return readThroughAnother(context, `product ${id}`, {
        writer: added.instance,
        read: async () => {
          const outcome = await call(`${context.site}/api/products/${id}`, {
            headers: { accept: 'application/json' },
          });
          return { outcome, matches: nameIn(outcome, 'name', name) };
        },
      });
    },
  };
}

export function movieWriteReadCheck(): Check {
  return {
    id: 'movie-write-read',
    name: 'written through one replica, read through another',
    timeoutMs: 60_000,
    async run(context) {
      const id = freshName('movie');
      const url = `${context.movie}/movies/${id}`;
      const title = `Check ${id}`;
      const added = await call(url, { method: 'POST', json: { title, director: 'Scale Lab', rating: 5 } });
      try {
        if (!ok(added)) {
          return fail(
            `POST /movies/${id}: ${describeOutcome(added)}`,
            `POST ${context.movie}/movies/<id> {title, director, rating} should answer 201`,
          );
        }
        return await readThroughAnother(context, `movie ${id}`, {
          writer: added.instance,
          read: async () => {
            const outcome = await call(url);
            return { outcome, matches: nameIn(outcome, 'title', title) };
          },
        });
      } finally {
        // What the grader writes, it removes (the DELETE of any replica: they share the database).
        await call(url, { method: 'DELETE' });
      }
    },
  };
}
