import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { assertPortFree, freePort } from './ports.js';
import { ManagedProcess } from './process.js';

export interface LocalRedis {
  port: number;
  url: string;
  /** SIGKILL: connections drop at once. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers (the nastier failure). */
  freeze(): void;
  thaw(): void;
  /** Starts again on the same port (after kill or stop). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Answers true when redis-server replies +PONG to a raw PING. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

/** A throw-away redis-server on loopback with no persistence, controllable for failure tests. */
export async function startRedis(options: { port?: number; baseDir?: string } = {}): Promise<LocalRedis> {
  const binary = findBinary(['redis-server'], 'redis-server');
  const port = options.port ?? (await freePort());
  await assertPortFree(port, 'Redis');
  const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), 'scale-lab-redis-'));
  const server = new ManagedProcess({
    name: 'Redis',
    command: binary,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    logFile: join(dir, 'redis.log'),
  });
  const start = async () => {
    server.start();
    await server.waitUntil(() => pings(port), 15_000);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => server.kill(),
    freeze: () => server.signal('SIGSTOP'),
    thaw: () => server.signal('SIGCONT'),
    restart: async () => {
      await server.stop();
      await start();
    },
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
