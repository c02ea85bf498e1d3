import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A fresh, empty database with a unique name, so test files never share data and can run in parallel. */
export async function createTestDatabase(serverUrl: string, prefix: string): Promise<string> {
  const name = `t_${prefix.replace(/[^A-Za-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`.slice(0, 64);
  const connection = await createConnection({ uri: serverUrl });
  try {
    await connection.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await connection.end();
  }
  return withDatabase(serverUrl, name);
}

export async function dropTestDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/';
  const connection = await createConnection({ uri: url.toString() });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
}
