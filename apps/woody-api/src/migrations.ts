import type { Migration } from '@scale-lab/db';

const seed = (name: string): Migration => ({
  name: `seed ${name}`,
  // Migrations run under a named lock, so NOT EXISTS is enough to keep concurrent replicas from duplicating.
  sql: `INSERT INTO product (name) SELECT '${name}' FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM product WHERE name = '${name}')`,
});

export const woodyMigrations: readonly Migration[] = [
  {
    name: 'product table',
    sql: `CREATE TABLE IF NOT EXISTS product (
      id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
      name VARCHAR(100) NOT NULL,
      created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      INDEX product_name (name)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  },
  seed('Yoyo'),
  seed('Joli train'),
  {
    name: 'order table',
    sql: `CREATE TABLE IF NOT EXISTS product_order (
      id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
      product VARCHAR(100) NOT NULL,
      status ENUM('pending', 'validated', 'rejected') NOT NULL DEFAULT 'pending',
      reason VARCHAR(200) NULL,
      claimed_by VARCHAR(200) NULL,
      lease_until TIMESTAMP(3) NULL,
      attempts INT UNSIGNED NOT NULL DEFAULT 1,
      created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      INDEX order_pending (status, lease_until)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  },
];
