import { createPool, type Pool, type PoolOptions } from 'mysql2/promise';

export interface DatabaseOptions {
  /** mysql://user:password@host:port/database */
  url: string;
  /** A password that overrides the URL's, e.g. read from a Docker secret file. */
  password?: string;
  poolSize: number;
  /** Bound on connecting and on every query, so a dead or frozen database answers 503 quickly. */
  timeoutMs: number;
}

export function createDatabasePool(options: DatabaseOptions): Pool {
  const url = new URL(options.url);
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new Error(`database URL must start with mysql:// (got ${url.protocol}//)`);
  }
  const config: PoolOptions = {
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: options.password ?? decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, '') || undefined,
    connectionLimit: options.poolSize,
    // A bounded wait for a free connection: under overload callers get a 503, not an unbounded queue.
    queueLimit: options.poolSize * 50,
    connectTimeout: options.timeoutMs,
    waitForConnections: true,
    enableKeepAlive: true,
    charset: 'utf8mb4',
    dateStrings: false,
    timezone: 'Z',
  };
  return createPool(config);
}
