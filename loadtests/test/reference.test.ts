import { isListening } from '@scale-lab/local-services';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startReferenceServers, type ReferenceServers } from '../src/reference.js';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\n$/;

describe('the reference servers', () => {
  let servers: ReferenceServers | undefined;
  const agent = new Agent();

  afterAll(async () => {
    await agent.close();
    await servers?.stop();
  });

  const get = async (url: string) => {
    const response = await request(url, { dispatcher: agent });
    return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
  };

  const portOf = (url: string) => Number(new URL(url).port);

  it('answer on their own ports, then leave nothing listening after stop()', async () => {
    const lines: string[] = [];
    servers = await startReferenceServers({ log: (line) => lines.push(line) });
    expect(lines.join('\n')).toContain(servers.bareNodeUrl);

    const bare = await get(servers.bareNodeUrl);
    expect(bare.status).toBe(200);
    expect(bare.headers['content-type']).toBe('text/plain');
    expect(bare.headers['keep-alive']).toBe('timeout=75');
    expect(bare.body).toMatch(ISO_TIME);
    expect(Math.abs(Date.parse(bare.body.trim()) - Date.now())).toBeLessThan(5000);

    const nginx = await get(servers.nginxUrl);
    expect(nginx.status).toBe(200);
    expect(nginx.body).toBe('ok\n');

    const proxied = await get(servers.proxyUrl);
    expect(proxied.status).toBe(200);
    expect(proxied.headers['content-type']).toBe('text/plain');
    expect(proxied.body).toMatch(ISO_TIME);
    expect(Date.parse(proxied.body.trim())).toBeGreaterThanOrEqual(Date.parse(bare.body.trim()));

    const ports = [servers.bareNodeUrl, servers.nginxUrl, servers.proxyUrl].map(portOf);
    await servers.stop();
    servers = undefined;
    expect(await Promise.all(ports.map((port) => isListening(port)))).toEqual([false, false, false]);
  });
});
