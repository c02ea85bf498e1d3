import { freePort } from '@scale-lab/local-services';
import { createTestDatabase, waitForReady } from '@scale-lab/testing';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { expect, inject, it } from 'vitest';
import { spawnWoody } from './helper.js';

/** The orders a replica's log says it completed ('order completed' lines, pino JSON). */
function completedIn(output: string): number[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"msg":"order completed"'))
    .map((line) => (JSON.parse(line) as { order: number }).order);
}

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

it('loses no accepted order and completes none twice when the validating replica is killed mid-way', async () => {
  const database = await createTestDatabase(inject('mysqlUrl'), 'woody_orders_kill');
  const common = {
    MYSQL_URL: database,
    HOST: '127.0.0.1',
    HEAVY_MS: '100',
    HEAVY_CONCURRENCY: '4',
    HEAVY_QUEUE_MAX: '1000',
    ORDER_LEASE_MS: '1000',
    ORDER_RECOVERY_INTERVAL_MS: '200',
  };
  const [doomedUrl, rescuerUrl] = [
    `http://127.0.0.1:${await freePort()}`,
    `http://127.0.0.1:${await freePort()}`,
  ];
  const doomed = spawnWoody({ ...common, PORT: new URL(doomedUrl).port, INSTANCE_ID: 'doomed' });
  const rescuer = spawnWoody({ ...common, PORT: new URL(rescuerUrl).port, INSTANCE_ID: 'rescuer' });
  const db = await createConnection({ uri: database });
  try {
    await Promise.all([waitForReady(doomed, doomedUrl), waitForReady(rescuer, rescuerUrl)]);
    const accepted: number[] = [];
    const place = async (url: string, i: number) => {
      const response = await fetch(`${url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // One in five names a product that does not exist: it must end rejected, not lost either.
        body: JSON.stringify({ product: i % 5 === 0 ? 'Licorne' : 'Yoyo' }),
      });
      expect(response.status).toBe(202);
      accepted.push(((await response.json()) as { id: number }).id);
    };

    // 100 orders to one replica: 4 validate at a time, the rest wait in its queue, all claimed by it.
    await Promise.all(Array.from({ length: 100 }, (_, i) => place(doomedUrl, i)));
    await expect.poll(() => completedIn(doomed.output()).length, { timeout: 30_000 }).toBeGreaterThan(10);
    await doomed.kill(); // SIGKILL, its work half done
    const completedByDoomed = completedIn(doomed.output());
    expect(completedByDoomed.length).toBeLessThan(100);
    // 100 more to the survivor, which must also finish what the dead one had claimed once its lease ends.
    await Promise.all(Array.from({ length: 100 }, (_, i) => place(rescuerUrl, 100 + i)));
    expect(accepted).toHaveLength(200);

    const finalStatuses = async () => {
      const [rows] = await db.query<RowDataPacket[]>('SELECT id, status, reason FROM product_order');
      return rows.filter((row) => accepted.includes(Number(row.id)) && row.status !== 'pending');
    };
    await expect.poll(async () => (await finalStatuses()).length, { timeout: 60_000 }).toBe(200);
    for (const row of await finalStatuses()) {
      expect(
        row.status === 'validated' || (row.status === 'rejected' && row.reason === 'unknown product'),
      ).toBe(true);
    }
    // Each accepted order completed exactly once, by one replica or the other (its log line may reach
    // us a moment after the database shows the order done).
    const completions = () => [...completedByDoomed, ...completedIn(rescuer.output())];
    await expect.poll(() => completions().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(200);
    expect(sorted(completions())).toEqual(sorted(accepted));
  } finally {
    await db.end();
    await doomed.kill();
    await rescuer.stop();
  }
}, 120_000);
