import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { findBinary } from './binaries.js';
import { assertPortFree, freePort } from './ports.js';
import { ManagedProcess } from './process.js';

const run = promisify(execFile);

export const LOCAL_DB_USER = 'scale_lab';
export const LOCAL_DB_PASSWORD = 'scale_lab';

export interface MariaDbOptions {
  port?: number;
  /** Parent of the temporary data directory (default: the OS temp dir). */
  baseDir?: string;
  maxConnections?: number;
}

export interface LocalMariaDb {
  port: number;
  dataDir: string;
  /** Server URL with no database selected, for a user allowed to create databases. */
  url: string;
  urlFor(database: string): string;
  createDatabase(database: string): Promise<string>;
  /** SIGKILL: the database disappears as in a crash. */
  kill(): Promise<void>;
  /**
   * SIGSTOP: a stalled database, not a refused one. Its port still accepts TCP connections (the kernel
   * completes them) and open connections stay open, but nothing answers until thaw().
   */
  freeze(): Promise<void>;
  /** SIGCONT: a frozen server carries on where it stopped. stop() thaws it too. */
  thaw(): void;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Stops and deletes the data directory. */
  stop(): Promise<void>;
}

/**
 * Resolves once the process is in the stopped state: kill() returns before all its threads have stopped, and
 * a query sent meanwhile may still be answered. Linux only (/proc); elsewhere at once.
 */
async function stopped(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return;
    }
    // "pid (comm) state …": the state follows the last parenthesis; T is stopped.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`process ${pid} did not stop on SIGSTOP within 5 s`);
}

/**
 * A throw-away MariaDB (or MySQL) server from the local binaries: own data directory, own port, loopback
 * only. What the local stack and the tests use when no Docker engine is there.
 */
export async function startMariaDb(options: MariaDbOptions = {}): Promise<LocalMariaDb> {
  const server = findBinary(['mariadbd', 'mysqld'], 'mariadb-server');
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db'], 'mariadb-server');
  const port = options.port ?? (await freePort());
  await assertPortFree(port, 'MariaDB');
  const dataDir = await mkdtemp(join(options.baseDir ?? tmpdir(), 'scale-lab-mariadb-'));
  const socket = join(dataDir, 'mysqld.sock');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];

  await run(installDb, [
    '--no-defaults',
    `--datadir=${join(dataDir, 'data')}`,
    '--auth-root-authentication-method=socket',
    '--skip-test-db',
    ...asRoot,
  ]).catch((error: Error & { stderr?: string }) => {
    throw new Error(`mariadb-install-db failed: ${error.stderr ?? error.message}`);
  });

  const process_ = new ManagedProcess({
    name: 'MariaDB',
    command: server,
    args: [
      '--no-defaults',
      `--datadir=${join(dataDir, 'data')}`,
      `--socket=${socket}`,
      `--pid-file=${join(dataDir, 'mysqld.pid')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      '--skip-log-bin',
      `--max-connections=${options.maxConnections ?? 500}`,
      '--innodb-buffer-pool-size=64M',
      '--innodb-flush-log-at-trx-commit=2',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      ...asRoot,
    ],
    logFile: join(dataDir, 'mariadb.log'),
  });

  const adminQuery = async (sql: string) => {
    const connection = await createConnection({ socketPath: socket, user: 'root', connectTimeout: 1000 });
    try {
      await connection.query(sql);
    } finally {
      await connection.end();
    }
  };

  const start = async () => {
    process_.start();
    await process_.waitUntil(async () => (await adminQuery('SELECT 1'), true), 60_000);
  };
  await start();
  await adminQuery(`CREATE USER IF NOT EXISTS '${LOCAL_DB_USER}'@'%' IDENTIFIED BY '${LOCAL_DB_PASSWORD}'`);
  await adminQuery(`GRANT ALL PRIVILEGES ON *.* TO '${LOCAL_DB_USER}'@'%' WITH GRANT OPTION`);

  const url = `mysql://${LOCAL_DB_USER}:${LOCAL_DB_PASSWORD}@127.0.0.1:${port}`;
  return {
    port,
    dataDir,
    url,
    urlFor: (database) => `${url}/${database}`,
    async createDatabase(database) {
      if (!/^[A-Za-z0-9_]+$/.test(database)) throw new Error(`invalid database name: ${database}`);
      await adminQuery(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
      return `${url}/${database}`;
    },
    kill: () => process_.kill(),
    async freeze() {
      process_.signal('SIGSTOP');
      await stopped(process_.pid);
    },
    thaw: () => process_.signal('SIGCONT'),
    restart: async () => {
      await process_.stop();
      await start();
    },
    async stop() {
      await process_.stop(30_000);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
