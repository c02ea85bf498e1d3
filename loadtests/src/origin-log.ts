import { open, stat } from 'node:fs/promises';

export interface OriginTraffic {
  requests: number;
  bytes: number;
  /** Requests for the big image that reached the origin. */
  bigImageRequests: number;
}

/** Starts counting what the origin serves; the returned function tells what it served since. */
export type OriginCounter = () => Promise<() => Promise<OriginTraffic>>;

/**
 * Adds up nginx access log lines ('"GET /path HTTP/1.1" status bytes …'). `accept` picks the lines that
 * belong to the origin when one log holds several servers.
 */
export function countOriginLines(
  lines: Iterable<string>,
  accept: (line: string) => boolean = () => true,
): OriginTraffic {
  const traffic: OriginTraffic = { requests: 0, bytes: 0, bigImageRequests: 0 };
  for (const line of lines) {
    const match = /"(?:GET|HEAD) (\S+)[^"]*" (\d{3}) (\d+)/.exec(line);
    if (!match || !accept(line)) continue;
    traffic.requests++;
    traffic.bytes += Number(match[3]);
    if (match[1]!.includes('big-image.')) traffic.bigImageRequests++;
  }
  return traffic;
}

/** Counts from the origin's own log file (the local front's): the lines written after the counter started. */
export function fileOriginCounter(accessLog: string): OriginCounter {
  return async () => {
    const fromOffset = (await stat(accessLog)).size;
    return async () => {
      const size = (await stat(accessLog)).size;
      const file = await open(accessLog, 'r');
      try {
        const buffer = Buffer.alloc(size - fromOffset);
        await file.read(buffer, 0, buffer.length, fromOffset);
        return countOriginLines(buffer.toString('utf8').split('\n'));
      } finally {
        await file.close();
      }
    };
  };
}
