// How throughput came back after a fault, from a repeat's per-second timeline (docs/measuring.md, "faults").
import type { RepeatResult, TimelineSecond } from '../schema.js';

/** Throughput is back when it is within this share of what it was before the fault… */
export const RECOVERY_BAND = 0.1;
/** …and stays there this many seconds (and until the fault is over): one good second is not a recovery. */
export const RECOVERY_STABLE_SECONDS = 3;

export interface Recovery {
  /** 2xx answers per second before the fault: the mean of the whole seconds before its start. */
  before: number;
  /** The fewest 2xx answers in one second from the fault's start to the end of the load. */
  lowest: number;
  /**
   * Seconds from the fault's start to the start of the first second from which throughput stayed within
   * the band (0: it never left it); null: not back within the run. One-second resolution.
   */
  seconds: number | null;
}

/** 2xx answers in a second (older results without non2xx: every answer). */
const successes = (second: TimelineSecond | undefined) =>
  second ? second.requests - (second.non2xx ?? 0) : 0;

/**
 * When the repeat's 2xx answers per second came back within RECOVERY_BAND of the seconds before the fault,
 * to stay there for RECOVERY_STABLE_SECONDS and at least until the fault was over. Only whole seconds of
 * the scheduled load count: the seconds after it hold only the last answers. Undefined without a fault, or
 * without a whole second before it to compare with.
 */
export function recovery(repeat: RepeatResult): Recovery | undefined {
  const fault = repeat.fault;
  if (!fault) return undefined;
  const ok = (second: number) => successes(repeat.timeline[second]);
  const first = Math.floor(fault.startSecond);
  const whole = Math.floor(fault.loadSeconds);
  if (first < 1 || first >= whole) return undefined;
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const before = range(0, first).reduce((sum, second) => sum + ok(second), 0) / first;
  const lowest = Math.min(...range(first, whole).map(ok));
  const within = (second: number) => Math.abs(ok(second) - before) <= RECOVERY_BAND * before;
  for (let from = first; from + RECOVERY_STABLE_SECONDS <= whole; from++) {
    const until = Math.min(whole, Math.max(from + RECOVERY_STABLE_SECONDS, Math.ceil(fault.endSecond)));
    if (range(from, until).every(within))
      return { before, lowest, seconds: Math.max(0, from - fault.startSecond) };
  }
  return { before, lowest, seconds: null };
}
