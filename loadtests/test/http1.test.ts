import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { freePort } from '@scale-lab/local-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http1Connection, http1Request, type Http1Answer } from '../src/http1.js';
import { errorKind } from '../src/tally.js';

// The closed model's own HTTP/1.1 connection, against a real node:http server that answers in every way a
// server may frame a response.
let server: Server;
let port: number;
const bodies: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    response.setHeader('X-Instance', 'test-1');
    const url = new URL(request.url!, 'http://x');
    switch (url.pathname) {
      case '/length':
        response.setHeader('X-Cache', 'HIT');
        return response.end('fixed length');
      case '/chunked':
        response.write('a'.repeat(5000));
        setTimeout(() => response.end('tail'), 5);
        return;
      case '/empty':
        response.statusCode = 204;
        return response.end();
      case '/close':
        response.setHeader('Connection', 'close');
        return response.end('bye');
      case '/echo': {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          bodies.push(body);
          response.statusCode = 201;
          response.end(body);
        });
        return;
      }
      case '/destroy':
        response.write('partial');
        setTimeout(() => response.destroy(), 5);
        return;
      case '/slow':
        setTimeout(() => response.end('late'), 1000);
        return;
    }
    response.statusCode = 404;
    response.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends the requests one after the other on one connection; each gets its answer or its error. */
async function exchange(
  requests: { method?: string; path: string; body?: string }[],
  { to = port, timeoutMs = 5000 } = {},
) {
  const outcomes: (Http1Answer | Error)[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let next = 0;
  const sendNext = () => {
    const request = requests[next++];
    if (!request) return finish();
    connection.send(http1Request(request.method ?? 'GET', request.path, `127.0.0.1:${to}`, request.body));
  };
  const record = (outcome: Http1Answer | Error) => {
    outcomes.push(outcome);
    sendNext();
  };
  const connection = new Http1Connection('127.0.0.1', to, timeoutMs, record, record);
  sendNext();
  await finished;
  connection.close();
  return outcomes;
}

describe("the closed model's HTTP/1.1 connection", () => {
  it('reads Content-Length, chunked and body-less answers, one after the other on one connection', async () => {
    const outcomes = await exchange([
      { path: '/length' },
      { path: '/chunked' },
      { path: '/empty' },
      { path: '/length' },
    ]);
    expect(outcomes).toEqual([
      { status: 200, instance: 'test-1', cache: 'HIT' },
      { status: 200, instance: 'test-1', cache: undefined },
      { status: 204, instance: 'test-1', cache: undefined },
      { status: 200, instance: 'test-1', cache: 'HIT' },
    ]);
  });

  it('opens a new connection after a server said Connection: close', async () => {
    const outcomes = await exchange([
      { path: '/close' },
      { path: '/length' },
      { path: '/close' },
      { path: '/missing' },
    ]);
    expect(outcomes.map((o) => (o instanceof Error ? o.message : o.status))).toEqual([200, 200, 200, 404]);
  });

  it('sends a POST body with its length', async () => {
    const outcomes = await exchange([
      { method: 'POST', path: '/echo', body: '{"name":"été"}' },
      { path: '/length' },
    ]);
    expect(outcomes.map((o) => (o as Http1Answer).status)).toEqual([201, 200]);
    expect(bodies).toContain('{"name":"été"}');
  });

  it('reports a refused connection, a reset and a timeout as errors of those kinds, and goes on', async () => {
    const closedPort = await freePort();
    const [refused] = await exchange([{ path: '/length' }], { to: closedPort });
    expect(errorKind(refused)).toBe('refused');
    const outcomes = await exchange(
      [{ path: '/destroy' }, { path: '/length' }, { path: '/slow' }, { path: '/length' }],
      {
        timeoutMs: 300,
      },
    );
    expect(outcomes.map((o) => (o instanceof Error ? errorKind(o) : o.status))).toEqual([
      'reset',
      200,
      'timeout',
      200,
    ]);
  });

  it('calls what is not HTTP a parse error', async () => {
    const liar = createTcpServer((socket) => socket.end('SSH-2.0-OpenSSH\r\n\r\n'));
    liar.listen(0, '127.0.0.1');
    await once(liar, 'listening');
    const [outcome] = await exchange([{ path: '/' }], { to: (liar.address() as AddressInfo).port });
    liar.close();
    expect(errorKind(outcome)).toBe('parse');
  });
});
