// A keep-alive HTTP/1.1 connection for the closed model, one request at a time, on node:net.
//
// Why not undici here: on the 2-core machine the generator shares the CPU with the stack, and every
// microsecond it spends is taken from the stack it measures. Measured against the warm cache variant,
// undici's dispatch API cost 28 µs of CPU per request where wrk cost 12, and the runner's throughput was
// 0.81–0.87 of wrk's. This connection frames responses itself (status line, Content-Length or chunked, or
// until close) and reads only the headers the report needs; with it the runner reaches 0.90–0.93 of wrk's
// throughput and 1.01–1.07 of its p50 (test/wrk-agreement.test.ts). The open model and bursts keep undici:
// they run at low rates.
import { connect, type Socket } from 'node:net';

export interface Http1Answer {
  status: number;
  instance: string | undefined;
  cache: string | undefined;
}

/** A response this cannot frame: counted as a 'parse' error. */
export class Http1ParseError extends Error {
  override name = 'Http1ParseError';
  readonly code = 'HPE_INVALID_RESPONSE';
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** One request, serialised once: the generator sends the same bytes again and again. */
export function http1Request(method: string, path: string, host: string, body?: string): Buffer {
  const payload = body === undefined ? '' : body;
  const framing =
    body === undefined
      ? ''
      : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`;
  return Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${framing}\r\n${payload}`);
}

const headerValue = (head: string, name: string): string | undefined =>
  new RegExp(`\\r\\n${name}:[ \\t]*([^\\r]*)`, 'i').exec(head)?.[1]?.trim();

interface Framing {
  answer: Http1Answer;
  /** Bytes of the whole response, when known (Content-Length). */
  length?: number;
  chunked: boolean;
  /** The response ends when the server closes (no length, not chunked). */
  untilClose: boolean;
  closeAfter: boolean;
  bodyStart: number;
}

/** Reads the status line and headers, or returns undefined until they are complete. */
function frame(buffer: Buffer, isHead: boolean): Framing | undefined {
  const end = buffer.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const head = buffer.toString('latin1', 0, end);
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!status) throw new Http1ParseError(`not an HTTP/1 response: ${JSON.stringify(head.slice(0, 40))}`);
  const code = Number(status[1]);
  const bodyless = isHead || code === 204 || code === 304 || (code >= 100 && code < 200);
  const contentLength = headerValue(head, 'content-length');
  const chunked = !bodyless && /chunked/i.test(headerValue(head, 'transfer-encoding') ?? '');
  const bodyStart = end + HEADER_END.length;
  return {
    answer: { status: code, instance: headerValue(head, 'x-instance'), cache: headerValue(head, 'x-cache') },
    length: bodyless
      ? bodyStart
      : contentLength !== undefined && !chunked
        ? bodyStart + Number(contentLength)
        : undefined,
    chunked,
    untilClose: !bodyless && !chunked && contentLength === undefined,
    closeAfter: /close/i.test(headerValue(head, 'connection') ?? '') || head.startsWith('HTTP/1.0'),
    bodyStart,
  };
}

/** Where a chunked body ends (after its last chunk and trailers), or undefined until it has arrived. */
function chunkedEnd(buffer: Buffer, start: number): number | undefined {
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf(CRLF, at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(buffer.toString('latin1', at, lineEnd), 16);
    if (!Number.isFinite(size)) throw new Http1ParseError('bad chunk size');
    if (size === 0) {
      const trailersEnd = buffer.indexOf(CRLF, lineEnd + CRLF.length);
      if (trailersEnd < 0) return undefined;
      if (trailersEnd === lineEnd + CRLF.length) return trailersEnd + CRLF.length;
      const end = buffer.indexOf(HEADER_END, lineEnd);
      return end < 0 ? undefined : end + HEADER_END.length;
    }
    at = lineEnd + CRLF.length + size + CRLF.length;
    if (at > buffer.length) return undefined;
  }
}

/**
 * One connection, opened on the first request and again after the server closed it. `send` writes a
 * request; exactly one of the callbacks follows for each request.
 */
export class Http1Connection {
  private socket: Socket | undefined;
  private received: Buffer | undefined;
  private framing: Framing | undefined;
  private isHead = false;
  private waiting = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
    private readonly onAnswer: (answer: Http1Answer) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  send(request: Buffer, isHead = false): void {
    this.received = undefined;
    this.framing = undefined;
    this.isHead = isHead;
    this.waiting = true;
    (this.socket ?? this.open()).write(request);
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined; // its 'close' event is then nobody's business
    socket?.destroy();
  }

  private open(): Socket {
    const socket = connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.setTimeout(this.timeoutMs, () =>
      this.drop(
        socket,
        Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' }),
      ),
    );
    socket.on('data', (data) => this.read(socket, data));
    socket.on('error', (error) => this.drop(socket, error));
    socket.on('close', () => this.closed(socket));
    this.socket = socket;
    return socket;
  }

  private read(socket: Socket, data: Buffer): void {
    if (socket !== this.socket) return;
    this.received = this.received ? Buffer.concat([this.received, data]) : data;
    try {
      this.framing ??= frame(this.received, this.isHead);
      const framing = this.framing;
      if (!framing || framing.untilClose) return;
      const end = framing.chunked ? chunkedEnd(this.received, framing.bodyStart) : framing.length!;
      if (end === undefined || this.received.length < end) return;
      if (framing.answer.status < 200) {
        // An interim answer (100 Continue): the real one follows.
        const rest = this.received.subarray(end);
        this.received = undefined;
        this.framing = undefined;
        if (rest.length > 0) this.read(socket, rest);
        return;
      }
      if (framing.closeAfter) this.close();
      this.answered(framing.answer);
    } catch (error) {
      this.drop(socket, error as Error);
    }
  }

  private answered(answer: Http1Answer): void {
    this.waiting = false;
    this.onAnswer(answer);
  }

  /** The current connection failed: it is closed, and the request waiting on it gets the error. */
  private drop(socket: Socket, error: Error): void {
    if (socket !== this.socket) return;
    this.close();
    if (!this.waiting) return;
    this.waiting = false;
    this.onError(error);
  }

  private closed(socket: Socket): void {
    if (socket !== this.socket) return;
    // A response that ends with the connection is complete; any other close is a reset.
    if (this.waiting && this.framing?.untilClose) {
      this.socket = undefined;
      this.answered(this.framing.answer);
      return;
    }
    this.drop(socket, Object.assign(new Error('the server closed the connection'), { code: 'ECONNRESET' }));
  }
}
