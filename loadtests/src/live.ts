import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { LiveSecond } from './tally.js';

// The run's progress for the dashboard's run viewer, as server-sent events. node:http and not a library:
// SSE is a header and `data: …\n\n` lines, and what matters here (dropping a client that falls behind
// instead of buffering for it) is a check of the socket's buffer that a library would hide.

/** What `./scale-lab run` publishes while it runs; each is one JSON object in an event's `data:`. */
export type LiveEvent =
  | { type: 'run-started'; target: string; quick: boolean; scenarios: string[] }
  /** A repeat starts (repeat counts from 1). */
  | { type: 'variant'; scenario: string; variant: string; repeat: number; repeats: number }
  /** One second of a repeat's load, once it is over. */
  | ({ type: 'second'; scenario: string; variant: string; repeat: number } & LiveSecond)
  | { type: 'run-finished'; report: string; url: string };

export interface LiveFeed {
  publish(event: LiveEvent): void;
  /** Ends every stream once what was published reached it (2 s at most), then stops the server. */
  close(): Promise<void>;
  /** Where it listens; undefined when it is off (port 0, or the port was busy). */
  readonly url: string | undefined;
  /** Clients following /events now. */
  readonly clients: number;
}

export interface LiveFeedOptions {
  /** 0: no feed. */
  port: number;
  log: (line: string) => void;
  heartbeatMs?: number;
}

export const DEFAULT_LIVE_PORT = 8098;
/** A client that connects mid-run first gets the run, the repeat and at most this many of its seconds. */
const SNAPSHOT_SECONDS = 60;
/** Output a client has not taken yet past which it is dropped: the runner never waits for, nor buffers for, a page. */
const MAX_UNSENT_BYTES = 256 * 1024;
const CLOSE_DEADLINE_MS = 2000;

/** The event that links the report, once it is written. */
export function runFinished(reportHtml: string): LiveEvent {
  return { type: 'run-finished', report: reportHtml, url: pathToFileURL(reportHtml).href };
}

const CORS = { 'access-control-allow-origin': '*' };

/** Where the run is: what a late client gets first, and what /status says. */
class RunState {
  private started: LiveEvent | undefined;
  private variant: Extract<LiveEvent, { type: 'variant' }> | undefined;
  private seconds: LiveEvent[] = [];
  private finished: Extract<LiveEvent, { type: 'run-finished' }> | undefined;

  record(event: LiveEvent): void {
    if (event.type === 'run-started') {
      this.started = event;
      this.variant = undefined;
      this.seconds = [];
      this.finished = undefined;
    } else if (event.type === 'variant') {
      this.variant = event;
      this.seconds = [];
    } else if (event.type === 'second') {
      this.seconds.push(event);
      if (this.seconds.length > SNAPSHOT_SECONDS) this.seconds.shift();
    } else this.finished = event;
  }

  /** The last run-started, variant and seconds (and run-finished, for a page that arrives just after it). */
  snapshot(): { type: 'snapshot'; last: LiveEvent[] } {
    const last = [this.started, this.variant, ...this.seconds, this.finished];
    return { type: 'snapshot', last: last.filter((event) => event !== undefined) };
  }

  status() {
    return {
      state: this.finished ? 'finished' : 'running',
      scenario: this.variant?.scenario,
      variant: this.variant?.variant,
      repeat: this.variant?.repeat,
      report: this.finished?.report,
    };
  }
}

const inert: LiveFeed = { publish() {}, close: async () => {}, url: undefined, clients: 0 };

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Serves the run's progress on 127.0.0.1:`port`: GET /events (server-sent events) and GET /status. A busy
 * port is one line in the log and no feed: the run matters more than the feed.
 */
export async function startLiveFeed({ port, log, heartbeatMs = 15_000 }: LiveFeedOptions): Promise<LiveFeed> {
  if (port === 0) return inert;
  const state = new RunState();
  const clients = new Set<ServerResponse>();

  /** Writes to every client; one that has not taken its earlier output is dropped, not waited for. */
  const send = (chunk: string) => {
    for (const client of clients) {
      if (client.writableLength > MAX_UNSENT_BYTES) {
        clients.delete(client);
        client.destroy();
      } else client.write(chunk);
    }
  };
  const data = (payload: object) => `data: ${JSON.stringify(payload)}\n\n`;

  const follow = (request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, {
      ...CORS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    response.socket?.setNoDelay(true);
    response.write(data(state.snapshot()));
    clients.add(response);
    request.socket.once('close', () => clients.delete(response));
  };

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/events') return follow(request, response);
    if (request.method === 'GET' && path === '/status') {
      response.writeHead(200, { ...CORS, 'content-type': 'application/json' });
      return response.end(JSON.stringify(state.status()));
    }
    response.writeHead(404, { ...CORS, 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'not found: the feed serves GET /events and GET /status' }));
  });
  try {
    await listen(server, port);
  } catch (error) {
    log(`live feed off: cannot listen on 127.0.0.1:${port} (${(error as Error).message}); the run goes on`);
    return inert;
  }
  const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs).unref();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  log(`live feed: ${url}/events (server-sent events), ${url}/status`);

  return {
    url,
    get clients() {
      return clients.size;
    },
    publish(event) {
      state.record(event);
      send(data(event));
    },
    async close() {
      clearInterval(heartbeat);
      for (const client of clients) client.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      let deadline: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (deadline = setTimeout(resolve, CLOSE_DEADLINE_MS)));
      await Promise.race([closed, late]);
      clearTimeout(deadline);
      server.closeAllConnections();
      await closed;
    },
  };
}
