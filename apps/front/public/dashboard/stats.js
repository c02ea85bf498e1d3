// The dashboard's statistics: per-second buckets of answers, latency percentiles, cache statuses, errors,
// and the replicas heard from lately. Pure (no DOM, no clock of its own: callers pass the time), so the
// unit test runs it in Node.

/** How long a replica may stay silent, while load runs, before its tile says "gone" (ms). */
export const GONE_AFTER_MS = 2500;
/** A replica not heard from for this long leaves the view (ms). */
export const FORGET_AFTER_MS = 10_000;

/** The p-th percentile (0–100) of ascending numbers, nearest-rank; null for none. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** What one answer (or failure) says, by the kind the error charts use: "HTTP 503", "timeout", … */
export function outcomeOf(answer) {
  if (answer.error) return answer.error;
  if (answer.status < 200 || answer.status > 299) return `HTTP ${answer.status}`;
  return null;
}

/** One second of load: the answers that ended in it. */
class Second {
  constructor(second) {
    this.second = second;
    this.count = 0;
    this.latencies = [];
    this.perInstance = {};
    this.cache = {};
    this.errors = {};
  }

  add(answer) {
    this.count += 1;
    const failure = outcomeOf(answer);
    if (failure) {
      this.errors[failure] = (this.errors[failure] ?? 0) + 1;
      return;
    }
    this.latencies.push(answer.ms);
    if (answer.instance) this.perInstance[answer.instance] = (this.perInstance[answer.instance] ?? 0) + 1;
    const cache = answer.cache || 'none';
    this.cache[cache] = (this.cache[cache] ?? 0) + 1;
  }

  /** p50, p95 and p99 of this second's successful answers (ms), null when there were none. */
  percentiles() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
  }
}

/** A replica as the load saw it: when it last answered, how fast, and its answers in the recent window. */
class Replica {
  constructor(instance) {
    this.instance = instance;
    this.lastSeen = 0;
    this.lastMs = 0;
    /** Times (ms) of its answers within FORGET_AFTER_MS, oldest first. */
    this.answeredAt = [];
  }

  add(answer) {
    this.lastSeen = answer.at;
    this.lastMs = answer.ms;
    this.answeredAt.push(answer.at);
  }

  forgetBefore(time) {
    while (this.answeredAt.length > 0 && this.answeredAt[0] < time) this.answeredAt.shift();
  }
}

export class LoadStats {
  /** @param {{ keepSeconds?: number }} [options] how many seconds of history the charts keep */
  constructor({ keepSeconds = 120 } = {}) {
    this.keepSeconds = keepSeconds;
    /** @type {Second[]} ascending, one per second that had answers */
    this.buckets = [];
    /** @type {Map<string, Replica>} */
    this.replicaByInstance = new Map();
    this.total = 0;
    this.failures = 0;
  }

  /**
   * Records one answer: { at (ms since the epoch, when it ended), ms (latency), status (number, absent on
   * a network failure), instance (X-Instance), cache (X-Cache), error (a kind: "network", "timeout"…) }.
   */
  record(answer) {
    const second = Math.floor(answer.at / 1000);
    let bucket = this.buckets.at(-1);
    if (!bucket || bucket.second !== second) {
      bucket = this.buckets.find((candidate) => candidate.second === second);
      if (!bucket) {
        bucket = new Second(second);
        this.buckets.push(bucket);
        this.buckets.sort((a, b) => a.second - b.second);
        while (this.buckets.length > this.keepSeconds) this.buckets.shift();
      }
    }
    bucket.add(answer);
    this.total += 1;
    if (outcomeOf(answer)) {
      this.failures += 1;
      return;
    }
    if (!answer.instance) return;
    let replica = this.replicaByInstance.get(answer.instance);
    if (!replica) {
      replica = new Replica(answer.instance);
      this.replicaByInstance.set(answer.instance, replica);
    }
    replica.add(answer);
  }

  /**
   * The charts' data, one column per second from the first bucket to `until` (ms) inclusive, seconds
   * without answers as zeros (counts) or null (latencies): { seconds, instances: {name: counts},
   * p50, p95, p99, cache: {status: counts}, errors: {kind: counts} }.
   */
  series(until) {
    const last = Math.floor(until / 1000);
    const first = this.buckets[0]?.second ?? last;
    const start = Math.max(first, last - this.keepSeconds + 1);
    const seconds = [];
    for (let second = start; second <= last; second += 1) seconds.push(second);
    const byPosition = new Map(this.buckets.map((bucket) => [bucket.second, bucket]));
    const columns = seconds.map((second) => byPosition.get(second) ?? new Second(second));
    const countsOf = (pick) => {
      const names = [...new Set(columns.flatMap((bucket) => Object.keys(pick(bucket))))].sort();
      return Object.fromEntries(
        names.map((name) => [name, columns.map((bucket) => pick(bucket)[name] ?? 0)]),
      );
    };
    const latencies = columns.map((bucket) => bucket.percentiles());
    return {
      seconds,
      requests: columns.map((bucket) => bucket.count),
      instances: countsOf((bucket) => bucket.perInstance),
      p50: latencies.map((latency) => latency.p50),
      p95: latencies.map((latency) => latency.p95),
      p99: latencies.map((latency) => latency.p99),
      cache: countsOf((bucket) => bucket.cache),
      errors: countsOf((bucket) => bucket.errors),
    };
  }

  /**
   * The replica tiles at `now` (ms): those heard from within FORGET_AFTER_MS, by name, each with its share
   * of the answers in that window and its last latency. While load runs, one silent for GONE_AFTER_MS is
   * "gone"; when load stops, silence means nothing, so tiles keep their state ("idle").
   */
  replicas(now, loadRunning) {
    const windowStart = now - FORGET_AFTER_MS;
    for (const [instance, replica] of this.replicaByInstance) {
      replica.forgetBefore(windowStart);
      if (replica.lastSeen < windowStart) this.replicaByInstance.delete(instance);
    }
    const answers = [...this.replicaByInstance.values()].reduce(
      (sum, replica) => sum + replica.answeredAt.length,
      0,
    );
    return [...this.replicaByInstance.values()]
      .sort((a, b) => a.instance.localeCompare(b.instance, 'en', { numeric: true }))
      .map((replica) => ({
        instance: replica.instance,
        share: answers === 0 ? 0 : replica.answeredAt.length / answers,
        lastMs: replica.lastMs,
        silentMs: now - replica.lastSeen,
        state: !loadRunning ? 'idle' : now - replica.lastSeen > GONE_AFTER_MS ? 'gone' : 'live',
      }));
  }
}
