import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import { DatabaseTimeoutError } from './errors.js';

export interface DatabaseOptions {
  /** mysql://user:password@host:port/database */
  url: string;
  /** A password that overrides the URL's, e.g. read from a Docker secret file. */
  password?: string;
  poolSize: number;
  /**
   * Bound on every pool acquire (a new connection's connect and handshake included) and on every query or
   * execute, so a dead or frozen database answers 503 quickly. One statement may set its own bound with
   * mysql2's `timeout` query option (the deliberately slow query, migrations).
   */
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
    // mysql2's own bound on a new connection: TCP connect and handshake (a frozen server accepts the TCP
    // connection but never greets), then the connection fails and leaves the pool.
    connectTimeout: options.timeoutMs,
    waitForConnections: true,
    enableKeepAlive: true,
    charset: 'utf8mb4',
    dateStrings: false,
    timezone: 'Z',
  };
  return boundDatabaseCalls(createPool(config), options.timeoutMs);
}

type Statement = (...args: unknown[]) => Promise<unknown>;

/**
 * Bounds, in place, every acquire and every statement of a mysql2 pool, and of the connections its
 * getConnection() hands out; past the bound the call rejects with a DatabaseTimeoutError (a 503).
 *
 * Our own, because mysql2 (3.x) does not do it:
 * - getConnection() has no timeout (mysqljs' acquireTimeout does not exist in mysql2): a caller waits in the
 *   pool's queue until a connection is released, for ever if none is. A caller that gave up here still has
 *   its place in that queue: the connection it gets later goes straight back to the pool.
 * - the `timeout` query option rejects the call but leaves the connection checked out, busy with the
 *   statement, until the server answers; a frozen database soon holds every connection and later calls wait
 *   in the acquire queue without bound. It does not cover execute()'s prepare step either. Here a statement
 *   past its bound destroys its connection instead: the pool drops it and hands the slot to its next waiter.
 */
export function boundDatabaseCalls(pool: Pool, timeoutMs: number): Pool {
  const getConnection = pool.getConnection.bind(pool);

  const acquire = (): Promise<PoolConnection> =>
    new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new DatabaseTimeoutError(timeoutMs, 'acquire'));
      }, timeoutMs);
      getConnection().then(
        (connection) => {
          clearTimeout(timer);
          if (timedOut) connection.release();
          else resolve(connection);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });

  // pool.query()/execute() as mysql2 runs them (acquire, run, release), with both steps bounded.
  const onAcquired = (run: (connection: PoolConnection) => Statement) =>
    (async (...args: unknown[]) => {
      const connection = await acquire();
      try {
        return await bounded(connection, run(connection), args, timeoutMs);
      } finally {
        connection.release(); // a no-op for a connection destroyed on timeout
      }
    }) as Statement;

  pool.query = onAcquired((connection) => connection.query.bind(connection) as Statement) as Pool['query'];
  pool.execute = onAcquired(
    (connection) => connection.execute.bind(connection) as Statement,
  ) as Pool['execute'];
  pool.getConnection = async () => {
    const connection = await acquire();
    const query = connection.query.bind(connection) as Statement;
    const execute = connection.execute.bind(connection) as Statement;
    connection.query = ((...args: unknown[]) =>
      bounded(connection, query, args, timeoutMs)) as PoolConnection['query'];
    connection.execute = ((...args: unknown[]) =>
      bounded(connection, execute, args, timeoutMs)) as PoolConnection['execute'];
    return connection;
  };
  return pool;
}

/** Runs one statement on `connection` within its bound: its own `timeout` option if it has one, else `defaultMs`. */
function bounded(
  connection: PoolConnection,
  run: Statement,
  args: unknown[],
  defaultMs: number,
): Promise<unknown> {
  let ms = defaultMs;
  const [first, ...rest] = args;
  if (typeof first === 'object' && first !== null && 'timeout' in first) {
    // Ours replaces mysql2's timer, which would leave the connection busy (see boundDatabaseCalls).
    const { timeout, ...options } = first as { timeout?: number };
    if (timeout !== undefined) ms = timeout;
    args = [options, ...rest];
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.destroy();
      reject(new DatabaseTimeoutError(ms, 'query'));
    }, ms);
    const settle = (done: () => void) => {
      clearTimeout(timer);
      done();
    };
    let running: Promise<unknown>;
    try {
      running = run(...args);
    } catch (error) {
      settle(() => reject(error));
      return;
    }
    running.then(
      (result) => settle(() => resolve(result)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
