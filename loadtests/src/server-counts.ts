/** A replica's /metrics text, bounded in time like every wait of the runner. */
async function metricsOf(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
}

/**
 * Requests each replica counted in its own /metrics (http_requests_total), leaving out the scrapes and
 * health checks: compared before and after a repeat with what the load generator counted.
 */
export async function serverCounts(
  replicas: readonly { instanceId: string; url: string }[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await Promise.all(
    replicas.map(async ({ instanceId, url }) => {
      const text = await metricsOf(url);
      let total = 0;
      for (const match of text.matchAll(/^http_requests_total\{([^}]*)\} (\d+)$/gm)) {
        if (!/route="\/(metrics|health\/[a-z]+)"/.test(match[1]!)) total += Number(match[2]);
      }
      counts[instanceId] = total;
    }),
  );
  return counts;
}

export function difference(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after).map(([instance, count]) => [instance, count - (before[instance] ?? 0)]),
  );
}

/**
 * Waits until no replica has heavy work running or queued. A closed-model run stops with requests in
 * flight; the replicas still finish them, and the next run must not start behind that queue.
 */
export async function drained(replicas: readonly { url: string }[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = await Promise.all(
      replicas.map(async ({ url }) => {
        const text = await metricsOf(url);
        return [...text.matchAll(/^heavy_(?:queue_depth|active)\{[^}]*\} (\d+)$/gm)].some(
          (match) => Number(match[1]) > 0,
        );
      }),
    );
    if (!busy.some(Boolean)) return;
    if (Date.now() > deadline) throw new Error('replicas still busy after 60 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Times the cache's producer ran, summed over these replicas' /metrics (cache_producer_runs_total). */
export async function producerRuns(replicas: readonly { url: string }[]): Promise<number> {
  const totals = await Promise.all(
    replicas.map(async ({ url }) => {
      const text = await metricsOf(url);
      return [...text.matchAll(/^cache_producer_runs_total(?:\{[^}]*\})? (\d+)$/gm)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
    }),
  );
  return totals.reduce((sum, n) => sum + n, 0);
}
