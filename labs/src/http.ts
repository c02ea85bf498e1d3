import { request } from 'undici';

/** What a check looks at in an answer: status, the headers that name who answered, the body, the time. */
export interface Answer {
  status: number;
  /** 2xx. */
  ok: boolean;
  /** X-Instance: the replica that answered, when the stack names it. */
  instance: string | undefined;
  /** X-Cache: what the cache (the API's, or the cdn's nginx) did. */
  cache: string | undefined;
  headers: Record<string, string>;
  body: string;
  bytes: number;
  ms: number;
}

/** A request that failed without an HTTP answer (refused, reset, timed out). */
export interface Failure {
  status: 0;
  error: string;
  ms: number;
}

export type Outcome = Answer | Failure;

export interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE' | 'HEAD';
  json?: unknown;
  headers?: Record<string, string>;
  /** Every call is bounded; heavy requests queued behind others need the longer default. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * One HTTP call on its own connection (closed after the answer): a proxy that reloads closes its idle
 * keep-alive connections, and a client reusing one at that instant sees a reset that is not the stack's
 * fault. Never throws: a call that got no answer is a Failure with the reason.
 */
export async function call(url: string, options: CallOptions = {}): Promise<Outcome> {
  const started = performance.now();
  try {
    const response = await request(url, {
      method: options.method ?? 'GET',
      reset: true,
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      headers: {
        ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    const buffer = Buffer.from(await response.body.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const name of Object.keys(response.headers)) headers[name] = header(response.headers, name) ?? '';
    return {
      status: response.statusCode,
      ok: response.statusCode >= 200 && response.statusCode < 300,
      instance: headers['x-instance'],
      cache: headers['x-cache'],
      headers,
      body: buffer.toString('utf8'),
      bytes: buffer.length,
      ms: performance.now() - started,
    };
  } catch (error) {
    const reason = error as Error & { code?: string };
    return {
      status: 0,
      error: reason.code ?? reason.name ?? reason.message,
      ms: performance.now() - started,
    };
  }
}

export function answered(outcome: Outcome): outcome is Answer {
  return outcome.status !== 0;
}

/** A 2xx answer. Not a 2xx answer is still an Answer or a Failure: the guard narrows one way only. */
export type OkAnswer = Answer & { ok: true };

export function ok(outcome: Outcome): outcome is OkAnswer {
  return 'ok' in outcome && outcome.ok;
}

/** `count` calls started at the same instant; resolves when all have answered, with the wall time. */
export async function concurrently(
  count: number,
  url: (i: number) => string,
  options?: CallOptions,
): Promise<{ outcomes: Outcome[]; elapsedMs: number }> {
  const started = performance.now();
  const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => call(url(i), options)));
  return { outcomes, elapsedMs: performance.now() - started };
}

/** A name no cache has seen: heavy requests and written products/movies the grader can recognise. */
export function freshName(purpose: string): string {
  return `check-${purpose}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Why a call failed, for evidence: "HTTP 503" or the connection error. */
export function describeOutcome(outcome: Outcome): string {
  return answered(outcome) ? `HTTP ${outcome.status}` : outcome.error;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function millis(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
