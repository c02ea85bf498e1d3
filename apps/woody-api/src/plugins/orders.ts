import { randomUUID } from 'node:crypto';
import { withDatabase } from '@scale-lab/db';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { HeavyGate } from './heavy.js';
import type { ProductRepository } from './products.js';

export type OrderStatus = 'pending' | 'validated' | 'rejected';

export interface Order {
  id: number;
  product: string;
  status: OrderStatus;
  reason: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

interface OrderRow extends RowDataPacket {
  id: number;
  product: string;
  status: OrderStatus;
  reason: string | null;
  attempts: number;
  created_at: Date;
  updated_at: Date;
}

const toOrder = (row: OrderRow): Order => ({
  id: Number(row.id),
  product: row.product,
  status: row.status,
  reason: row.reason,
  attempts: row.attempts,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export interface OrderServiceOptions {
  instanceId: string;
  leaseMs: number;
  recoveryIntervalMs: number;
}

/**
 * Orders are written `pending` with a lease before anything else, then validated with the heavy work.
 * While this process lives it renews the leases of every order it holds, queued or running; a replica
 * that dies leaves its orders pending, and once their lease expires any replica claims and finishes
 * them, so an order accepted with 202 is never lost. Only the current claim may complete an order, so
 * none is completed twice.
 */
export class OrderService {
  private readonly inFlight = new Set<Promise<void>>();
  /** The orders this process is validating or has queued: the only leases it renews. */
  private readonly held = new Set<number>();
  private recoveryTimer: NodeJS.Timeout | undefined;
  private renewalTimer: NodeJS.Timeout | undefined;
  private closing = false;
  // Per process, not per instance id: a replica restarted under the same name must not take the claims of
  // its dead predecessor for its own.
  private readonly claimPrefix = `${randomUUID()}:`;

  constructor(
    private readonly db: Pool,
    private readonly heavyGate: HeavyGate,
    private readonly products: ProductRepository,
    private readonly options: OrderServiceOptions,
    private readonly log: FastifyInstance['log'],
  ) {}

  private newClaim(): string {
    return `${this.claimPrefix}${this.options.instanceId}:${randomUUID()}`;
  }

  async place(product: string): Promise<Order> {
    const claim = this.newClaim();
    const order = await withDatabase(async () => {
      const [result] = await this.db.execute<ResultSetHeader>(
        `INSERT INTO product_order (product, status, claimed_by, lease_until)
         VALUES (?, 'pending', ?, NOW(3) + INTERVAL ? MICROSECOND)`,
        [product, claim, this.options.leaseMs * 1000],
      );
      return (await this.find(result.insertId))!;
    });
    this.track(this.validate(order.id, claim));
    return order;
  }

  find(id: number): Promise<Order | null> {
    return withDatabase(async () => {
      const [rows] = await this.db.execute<OrderRow[]>(
        'SELECT id, product, status, reason, attempts, created_at, updated_at FROM product_order WHERE id = ?',
        [id],
      );
      return rows[0] ? toOrder(rows[0]) : null;
    });
  }

  /** Claims pending orders whose lease has expired (their replica died) and validates them. */
  async recoverAbandoned(limit = 20): Promise<number> {
    const claim = this.newClaim();
    const [result] = await this.db.execute<ResultSetHeader>(
      `UPDATE product_order SET claimed_by = ?, lease_until = NOW(3) + INTERVAL ? MICROSECOND, attempts = attempts + 1
       WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < NOW(3))
       ORDER BY id LIMIT ${Number(limit)}`,
      [claim, this.options.leaseMs * 1000],
    );
    if (result.affectedRows === 0) return 0;
    const [rows] = await this.db.execute<RowDataPacket[]>(
      "SELECT id FROM product_order WHERE claimed_by = ? AND status = 'pending'",
      [claim],
    );
    this.log.info({ orders: rows.map((row) => row.id) }, 'recovered pending orders left by another replica');
    for (const row of rows) this.track(this.validate(Number(row.id), claim));
    return rows.length;
  }

  /**
   * Extends the lease of every order this process holds: queued work must not look abandoned. Only the
   * ones it still works on: an order whose validation failed (its database call timed out) keeps this
   * process's claim, and renewing it would keep it from every replica's recovery for ever.
   */
  async renewLeases(): Promise<void> {
    if (this.held.size === 0) return;
    const ids = [...this.held];
    await this.db.execute(
      `UPDATE product_order SET lease_until = NOW(3) + INTERVAL ? MICROSECOND
       WHERE status = 'pending' AND claimed_by LIKE ? AND id IN (${ids.map(() => '?').join(', ')})`,
      [this.options.leaseMs * 1000, `${this.claimPrefix}%`, ...ids],
    );
  }

  startRecovery(): void {
    const sweep = () =>
      this.recoverAbandoned().catch((error: Error) =>
        this.log.warn({ err: error.message }, 'order recovery failed'),
      );
    const renew = () =>
      this.renewLeases().catch((error: Error) =>
        this.log.warn({ err: error.message }, 'order lease renewal failed'),
      );
    void sweep();
    this.recoveryTimer = setInterval(sweep, this.options.recoveryIntervalMs);
    this.recoveryTimer.unref();
    // Three renewals per lease: one slow database round trip does not let a live replica's orders go.
    this.renewalTimer = setInterval(renew, Math.max(10, Math.floor(this.options.leaseMs / 3)));
    this.renewalTimer.unref();
  }

  /** Stops claiming, lets running validations finish, hands queued ones back to the other replicas. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.recoveryTimer);
    clearInterval(this.renewalTimer);
    await Promise.allSettled([...this.inFlight]);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async validate(id: number, claim: string): Promise<void> {
    this.held.add(id);
    try {
      await this.heavyGate.run(async () => {
        if (this.closing) {
          await this.release(id, claim);
          return;
        }
        // The lease restarts when the work does; if another replica holds the order now, leave it to it.
        const [held] = await this.db.execute<ResultSetHeader>(
          'UPDATE product_order SET lease_until = NOW(3) + INTERVAL ? MICROSECOND WHERE id = ? AND claimed_by = ?',
          [this.options.leaseMs * 1000, id, claim],
        );
        if (held.affectedRows === 0) return;
        const order = await this.find(id);
        if (!order || order.status !== 'pending') return;
        await this.heavyGate.computeNow(order.product);
        const known = await this.products.exists(order.product);
        const status = known ? 'validated' : 'rejected';
        const [result] = await this.db.execute<ResultSetHeader>(
          `UPDATE product_order SET status = ?, reason = ?, claimed_by = NULL, lease_until = NULL
           WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
          [status, known ? null : 'unknown product', id, claim],
        );
        // Only the holder of the claim completes an order: a replica whose claim was taken over writes nothing.
        if (result.affectedRows === 1) this.log.info({ order: id, status }, 'order completed');
      });
    } catch (error) {
      // The order stays pending; its lease expires and a replica (maybe this one) retries it.
      this.log.warn({ order: id, err: (error as Error).message }, 'order validation failed, will be retried');
    } finally {
      this.held.delete(id);
    }
  }

  private async release(id: number, claim: string): Promise<void> {
    await this.db.execute(
      "UPDATE product_order SET lease_until = NOW(3) WHERE id = ? AND claimed_by = ? AND status = 'pending'",
      [id, claim],
    );
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    orderService: OrderService;
  }
}

export const ordersPlugin = fp<OrderServiceOptions>(
  async (app: FastifyInstance, options) => {
    const service = new OrderService(app.db, app.heavyGate, app.productRepository, options, app.log);
    app.decorate('orderService', service);
    app.addHook('onReady', async () => {
      // Recovery starts once the schema exists; until then there is nothing to recover.
      void app.databaseReady.then(() => service.startRecovery()).catch(() => undefined);
    });
    app.addHook('preClose', async () => service.close());
  },
  { name: 'woody-orders', dependencies: ['woody-heavy', 'woody-products'] },
);
