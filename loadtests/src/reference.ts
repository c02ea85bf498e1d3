/**
 * Reference servers for the runner: what the load generator can reach at best (a bare Node server, a
 * static nginx answer) and what our request path costs on its own (nginx proxying to Node with upstream
 * keepalive). All on 127.0.0.1, none of it in the runner's process.
 */
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, ManagedProcess, startNginx, type LocalNginx } from '@scale-lab/local-services';

export interface ReferenceServers {
  /** node:http in its own process, answering every GET with the current time. */
  bareNodeUrl: string;
  /** nginx answering `return 200 "ok\n";`. */
  nginxUrl: string;
  /** nginx proxying to the bare Node server with upstream keepalive. */
  proxyUrl: string;
  /** nginx's worker processes: as many as the product proxy's `worker_processes auto` starts here. */
  nginxWorkers: number;
  /** Stops both and removes their temporary directories; safe to call more than once. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

/**
 * The command that runs reference-server next to this module: the built `.js` with plain node, or,
 * when this module is itself the TypeScript source (vitest), the `.ts` through tsx as spawnService does.
 */
function serverCommand(): { args: string[] } {
  if (import.meta.url.endsWith('.ts')) {
    const tsxLoader = fileURLToPath(import.meta.resolve('tsx'));
    const entry = fileURLToPath(new URL('./reference-server.ts', import.meta.url));
    return { args: ['--conditions=@scale-lab/source', '--import', tsxLoader, entry] };
  }
  return { args: [fileURLToPath(new URL('./reference-server.js', import.meta.url))] };
}

/** GETs `url` on a fresh connection (nothing left in a pool) and resolves with status and body. */
function getOnce(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function nginxHttp(nodePort: number, okPort: number, proxyPort: number): string {
  return `
  upstream reference_node {
    server 127.0.0.1:${nodePort};
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${okPort};
    access_log off;
    default_type text/plain;
    location / { return 200 "ok\\n"; }
  }
  server {
    listen 127.0.0.1:${proxyPort};
    access_log off;
    location / {
      proxy_pass http://reference_node;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
`;
}

export async function startReferenceServers(
  options: { log?: (line: string) => void } = {},
): Promise<ReferenceServers> {
  const log = options.log ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), 'scale-lab-reference-'));
  let node: ManagedProcess | undefined;
  let nginx: LocalNginx | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.allSettled([nginx?.stop(), node?.stop()]);
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    const [nodePort, okPort, proxyPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const bareNodeUrl = `http://127.0.0.1:${nodePort}/`;
    const { args } = serverCommand();
    node = new ManagedProcess({
      name: 'reference Node server',
      command: process.execPath,
      args: [...args, String(nodePort)],
      logFile: join(dir, 'reference-server.log'),
    });
    node.start();
    await node.waitUntil(async () => (await getOnce(bareNodeUrl)).status === 200, START_TIMEOUT_MS);
    log(`reference: bare Node on ${bareNodeUrl} (pid ${node.pid})`);

    // nginx's `auto` is one worker per CPU this process may run on, which is what availableParallelism() counts.
    const nginxWorkers = availableParallelism();
    nginx = await startNginx({
      http: nginxHttp(nodePort, okPort, proxyPort),
      ports: [okPort, proxyPort],
      workerProcesses: nginxWorkers,
    });
    const proxyUrl = `http://127.0.0.1:${proxyPort}/`;
    const proxied = await getOnce(proxyUrl, START_TIMEOUT_MS);
    if (proxied.status !== 200) {
      throw new Error(`reference nginx proxy ${proxyUrl} answered ${proxied.status}: ${proxied.body.trim()}`);
    }
    log(
      `reference: nginx (${nginxWorkers} workers) on http://127.0.0.1:${okPort}/, proxy to Node on ${proxyUrl} (${nginx.dir})`,
    );

    return { bareNodeUrl, nginxUrl: `http://127.0.0.1:${okPort}/`, proxyUrl, nginxWorkers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
