import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startMariaDb, startRedis } from '@scale-lab/local-services';
import { createConnection } from 'mysql2/promise';

const run = promisify(execFile);

export interface TestServices {
  /** Server URL without a database; the user may create databases. */
  mysqlUrl: string;
  redisUrl: string;
  /** Where they came from, printed once so a failing run says what it ran against. */
  source: string;
  stop(): Promise<void>;
}

export const MARIADB_IMAGE = process.env.SCALE_LAB_MARIADB_IMAGE ?? 'mariadb:11.4';
export const REDIS_IMAGE = process.env.SCALE_LAB_REDIS_IMAGE ?? 'redis:7.4';

async function dockerHasImages(images: readonly string[]): Promise<boolean> {
  try {
    await run('docker', ['image', 'inspect', ...images], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function waitForMysql(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await createConnection({ uri: url, connectTimeout: 1000 });
      await connection.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function startContainers(): Promise<TestServices> {
  // Its reaper (Ryuk) is an image to pull, and no registry may be reachable: the containers are stopped
  // and removed below instead. Set TESTCONTAINERS_RYUK_DISABLED=false to have the reaper anyway.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  // Loaded only on this path: testcontainers needs a recent Node and a Docker engine.
  const { GenericContainer, Wait } = await import('testcontainers');
  const mariadb = await new GenericContainer(MARIADB_IMAGE)
    .withEnvironment({ MARIADB_ROOT_PASSWORD: 'scale_lab', MARIADB_ROOT_HOST: '%' })
    .withExposedPorts(3306)
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(120_000)
    .start();
  const redis = await new GenericContainer(REDIS_IMAGE).withExposedPorts(6379).start();
  const mysqlUrl = `mysql://root:scale_lab@${mariadb.getHost()}:${mariadb.getMappedPort(3306)}`;
  await waitForMysql(mysqlUrl, 60_000);
  return {
    mysqlUrl,
    redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    source: `containers ${MARIADB_IMAGE}, ${REDIS_IMAGE}`,
    async stop() {
      // The reaper (Ryuk) cannot run here, so containers are removed explicitly.
      await Promise.allSettled([mariadb.stop({ remove: true }), redis.stop({ remove: true })]);
    },
  };
}

async function startLocalBinaries(): Promise<TestServices> {
  const [mariadb, redis] = await Promise.all([startMariaDb(), startRedis()]);
  return {
    mysqlUrl: mariadb.url,
    redisUrl: redis.url,
    source: `local binaries (MariaDB :${mariadb.port}, Redis :${redis.port})`,
    async stop() {
      await Promise.allSettled([mariadb.stop(), redis.stop()]);
    },
  };
}

/**
 * Real MariaDB and Redis for integration tests, from the first source that exists:
 * MYSQL_URL / REDIS_URL; Docker with the images present (testcontainers); the local binaries.
 * SCALE_LAB_TEST_SERVICES=local|containers forces one.
 */
export async function startTestServices(): Promise<TestServices> {
  const { MYSQL_URL, REDIS_URL } = process.env;
  if (MYSQL_URL && REDIS_URL) {
    return {
      mysqlUrl: MYSQL_URL,
      redisUrl: REDIS_URL,
      source: 'MYSQL_URL and REDIS_URL',
      stop: async () => {},
    };
  }
  const wanted = process.env.SCALE_LAB_TEST_SERVICES ?? 'auto';
  const useContainers =
    wanted === 'containers' || (wanted === 'auto' && (await dockerHasImages([MARIADB_IMAGE, REDIS_IMAGE])));
  const services = useContainers ? await startContainers() : await startLocalBinaries();
  if (MYSQL_URL) services.mysqlUrl = MYSQL_URL;
  if (REDIS_URL) services.redisUrl = REDIS_URL;
  return services;
}
