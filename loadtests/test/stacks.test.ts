import { mkdtemp, appendFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countOriginLines, fileOriginCounter } from '../src/origin-log.js';
import { serviceUpdateArgs } from '../src/stacks/drivers.js';

describe('the origin count from nginx access logs', () => {
  // The front image's log_format: the same in containers and in the local stack, which runs that image's config.
  const frontLines = [
    '10.0.1.5 [25/Nov/2026:07:21:06 +0000] "GET / HTTP/1.1" 200 1234 via=-',
    '10.0.1.5 [25/Nov/2026:07:21:06 +0000] "GET /assets/big-image.3f2a.jpg HTTP/1.1" 200 6342000 via=-',
    '10.0.1.9 [25/Nov/2026:07:21:07 +0000] "HEAD /assets/app.js HTTP/1.1" 304 0 via=-',
    '10.0.1.9 [25/Nov/2026:07:21:07 +0000] "POST /api/products HTTP/1.1" 201 80 via=-',
    '2026/11/25 07:21:07 [warn] 7#7: an error log line',
    '',
  ];

  it('adds up GET and HEAD requests, their bytes and the big image, and skips anything else', () => {
    expect(countOriginLines(frontLines)).toEqual({ requests: 3, bytes: 6343234, bigImageRequests: 1 });
  });

  it('counts only the lines written after it started', async () => {
    const log = join(await mkdtemp(join(tmpdir(), 'origin-log-')), 'front.log');
    const line = (path: string, bytes: number) =>
      `127.0.0.1 [25/Nov/2026:07:21:06 +0000] "GET ${path} HTTP/1.1" 200 ${bytes} via=-\n`;
    await writeFile(log, line('/', 100));
    const servedSince = await fileOriginCounter(log)();
    await appendFile(log, line('/assets/big-image.x.jpg', 5000) + line('/assets/app.js', 300));
    expect(await servedSince()).toEqual({ requests: 2, bytes: 5300, bigImageRequests: 1 });
  });
});

describe('docker service update flags for a variant', () => {
  it('changes only what differs: replicas, added or changed variables, removed ones', () => {
    expect(
      serviceUpdateArgs(
        { count: 1, env: { HEAVY_MODE: 'sleep', HEAVY_MS: '100' } },
        { count: 2, env: { HEAVY_MODE: 'cpu', CACHE_ENABLED: 'false' } },
      ),
    ).toEqual([
      '--replicas',
      '2',
      '--env-add',
      'HEAVY_MODE=cpu',
      '--env-add',
      'CACHE_ENABLED=false',
      '--env-rm',
      'HEAVY_MS',
    ]);
  });

  it('keeps the replica count in an update that changes only the environment, and is empty when nothing changes', () => {
    expect(serviceUpdateArgs({ count: 3, env: {} }, { count: 3, env: { A: '1' } })).toEqual([
      '--replicas',
      '3',
      '--env-add',
      'A=1',
    ]);
    expect(serviceUpdateArgs({ count: 3, env: { A: '1' } }, { count: 3, env: { A: '1' } })).toEqual([]);
  });
});
