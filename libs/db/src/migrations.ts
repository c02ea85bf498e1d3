import type { Pool } from 'mysql2/promise';

/** One idempotent schema step: safe to run at every start-up, by every replica, concurrently. */
export interface Migration {
  name: string;
  sql: string;
}

export async function runMigrations(pool: Pool, migrations: readonly Migration[]): Promise<void> {
  const connection = await pool.getConnection();
  try {
    // Replicas start together: serialize their migrations on a named lock instead of racing on DDL.
    await connection.query("SELECT GET_LOCK('scale_lab_migrations', 30)");
    try {
      for (const migration of migrations) await connection.query(migration.sql);
    } finally {
      await connection.query("SELECT RELEASE_LOCK('scale_lab_migrations')");
    }
  } finally {
    connection.release();
  }
}
