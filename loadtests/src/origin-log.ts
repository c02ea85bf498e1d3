import { open, stat } from 'node:fs/promises';

export interface OriginTraffic {
  requests: number;
  bytes: number;
  /** Requests for the big image that reached the origin. */
  bigImageRequests: number;
}

/** Reads what the origin (the site's port) served, from nginx's access log, from a byte offset on. */
export async function originTraffic(
  accessLog: string,
  fromOffset: number,
  originPort: number,
): Promise<OriginTraffic> {
  const size = (await stat(accessLog)).size;
  const file = await open(accessLog, 'r');
  try {
    const buffer = Buffer.alloc(size - fromOffset);
    await file.read(buffer, 0, buffer.length, fromOffset);
    const traffic: OriginTraffic = { requests: 0, bytes: 0, bigImageRequests: 0 };
    for (const line of buffer.toString('utf8').split('\n')) {
      const match = /"(?:GET|HEAD) (\S+)[^"]*" (\d{3}) (\d+) .* port=(\d+)/.exec(line);
      if (!match || Number(match[4]) !== originPort) continue;
      traffic.requests++;
      traffic.bytes += Number(match[3]);
      if (match[1]!.includes('big-image.')) traffic.bigImageRequests++;
    }
    return traffic;
  } finally {
    await file.close();
  }
}

export async function logSize(accessLog: string): Promise<number> {
  return (await stat(accessLog)).size;
}
