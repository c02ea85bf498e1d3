// How each k6 answer is recorded so that handleSummary can count it: as checks named after its status (or
// its error kind), its X-Instance and its X-Cache. summary.ts reads the same names back.
import { check } from 'k6';
import type { ErrorKind } from '../src/schema.ts';

/** What countAnswer reads of a response. */
export interface Answer {
  status: number;
  error_code: number;
  headers: Record<string, string>;
}

/** k6's error codes (grafana.com/docs/k6/latest/javascript-api/error-codes) as the schema's kinds. */
function errorKind(code: number): ErrorKind {
  if (code === 1050 || code === 1211) return 'timeout';
  if (code === 1212) return 'refused';
  if (code === 1201 || code === 1220) return 'reset';
  return 'other';
}

function header(response: Answer, name: string): string | undefined {
  const found = Object.keys(response.headers).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : response.headers[found];
}

// A check's pass and fail counts reach handleSummary (root_group.checks) whatever its name, where a tagged
// sub-metric needs its tag values declared before the run: checks named after the status, the X-Instance
// and the X-Cache of each answer count them. k6 refuses "::" in a check name.
export const INSTANCE = 'X-Instance: ';
export const CACHE = 'X-Cache: ';
export const ARROW = ' → ';
export const NO_ANSWER = /^no answer \((\w+)\)$/;
export const ERROR_KINDS: readonly ErrorKind[] = ['timeout', 'refused', 'reset', 'parse', 'other'];
export const checkName = (name: string) => name.replace(/::/g, ':');

export function countAnswer(key: string, response: Answer): void {
  const ok = response.status >= 200 && response.status <= 299;
  const outcome =
    response.status === 0 ? `no answer (${errorKind(response.error_code)})` : String(response.status);
  const checks: Record<string, () => boolean> = { [checkName(`${key}${ARROW}${outcome}`)]: () => ok };
  if (response.status !== 0) {
    checks[checkName(`${INSTANCE}${header(response, 'x-instance') ?? '(none)'}`)] = () => true;
    checks[checkName(`${CACHE}${header(response, 'x-cache') ?? 'none'}`)] = () => true;
  }
  check(response, checks);
}
