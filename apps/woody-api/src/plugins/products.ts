import type { Cache, CachedFunction } from '@scale-lab/cache';
import { withDatabase } from '@scale-lab/db';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

const PRODUCTS_TAG = 'products';

export interface Product {
  id: number;
  name: string;
  createdAt: string;
}

export interface ProductSummary {
  count: number;
  last: Product | null;
}

interface ProductRow extends RowDataPacket {
  id: number;
  name: string;
  created_at: Date;
}

const toProduct = (row: ProductRow): Product => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
});

export function createProductRepository(
  db: Pool,
  options: { slowMs: number; timeoutMs: number },
  cache: Cache,
) {
  return {
    add: (name: string) =>
      withDatabase(async () => {
        const [result] = await db.execute<ResultSetHeader>('INSERT INTO product (name) VALUES (?)', [name]);
        const [rows] = await db.execute<ProductRow[]>(
          'SELECT id, name, created_at FROM product WHERE id = ?',
          [result.insertId],
        );
        // The cached count and last product are wrong from now on, on every replica.
        await cache.invalidateTag(PRODUCTS_TAG);
        return toProduct(rows[0]!);
      }),

    find: (id: number) =>
      withDatabase(async () => {
        const [rows] = await db.execute<ProductRow[]>(
          'SELECT id, name, created_at FROM product WHERE id = ?',
          [id],
        );
        return rows[0] ? toProduct(rows[0]) : null;
      }),

    list: (page: number, pageSize: number) =>
      withDatabase(async () => {
        // LIMIT/OFFSET as bound parameters need query() (text protocol) with mysql2; they are still escaped.
        const [rows] = await db.query<ProductRow[]>(
          'SELECT id, name, created_at FROM product ORDER BY id LIMIT ? OFFSET ?',
          [pageSize, (page - 1) * pageSize],
        );
        const [[total]] = await db.query<(RowDataPacket & { total: number })[]>(
          'SELECT COUNT(*) AS total FROM product',
        );
        return { items: rows.map(toProduct), page, pageSize, total: Number(total?.total ?? 0) };
      }),

    /**
     * The lab's deliberately slow query. The wait is a SLEEP() inside MariaDB, so it holds a database
     * connection like a real slow query does, instead of idling in Node.
     */
    lastWithCount: () =>
      withDatabase(async () => {
        const [rows] = await db.query<(ProductRow & { product_count: number; slept: number })[]>({
          sql: `SELECT (SELECT COUNT(*) FROM product) AS product_count, p.id, p.name, p.created_at, SLEEP(?) AS slept
                FROM (SELECT 1) AS one LEFT JOIN (SELECT id, name, created_at FROM product ORDER BY id DESC LIMIT 1) AS p ON TRUE`,
          values: [options.slowMs / 1000],
          timeout: options.slowMs + options.timeoutMs,
        });
        const row = rows[0]!;
        return {
          count: Number(row.product_count),
          last: row.id === null ? null : toProduct(row),
        } satisfies ProductSummary;
      }),

    exists: (name: string) =>
      withDatabase(async () => {
        const [rows] = await db.execute<RowDataPacket[]>('SELECT 1 FROM product WHERE name = ? LIMIT 1', [
          name,
        ]);
        return rows.length > 0;
      }),
  };
}

export type ProductRepository = ReturnType<typeof createProductRepository>;

declare module 'fastify' {
  interface FastifyInstance {
    productRepository: ProductRepository;
    /** The slow count-and-last query through the cache (invalidated when a product is added). */
    productSummary: CachedFunction<[], ProductSummary>;
  }
}

export const productsPlugin = fp<{ slowMs: number; timeoutMs: number; summaryTtlMs: number }>(
  async (app: FastifyInstance, options) => {
    const repository = createProductRepository(app.db, options, app.cache);
    app.decorate('productRepository', repository);
    app.decorate(
      'productSummary',
      app.cache.wrap(() => repository.lastWithCount(), {
        name: 'products.last',
        ttl: options.summaryTtlMs,
        tags: [PRODUCTS_TAG],
      }),
    );
  },
  { name: 'woody-products', dependencies: ['scale-lab-database', 'scale-lab-cache'] },
);
