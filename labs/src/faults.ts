import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import { lookup } from 'node:dns/promises';
import { call, ok } from './http.js';

const run = promisify(execFile);
const DOCKER = '/usr/bin/docker';

/** True when `url`'s host is this machine: loopback, or an address of one of its interfaces. */
export async function isThisMachine(url: string): Promise<boolean> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const addresses = await lookup(host, { all: true }).catch(() => []);
  const local = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((entry) => entry?.address),
  );
  return (
    addresses.length > 0 &&
    addresses.every(({ address }) => address.startsWith('127.') || address === '::1' || local.has(address))
  );
}

/** A way to kill one replica by its X-Instance: the local control API, or Docker. */
export interface Killer {
  how: string;
  kill(instance: string): Promise<string | undefined>;
}

/** The local stack's control API, when it answers GET /replicas. */
export async function controlApi(control: string): Promise<boolean> {
  const answer = await call(`${control}/replicas`, { timeoutMs: 2000 });
  return ok(answer) && answer.body.includes('"replicas"');
}

/**
 * How this machine can kill `instance`: through the control API when it answers, else Docker when a
 * container's id starts with the X-Instance's host part (`<hostname>-<pid>`, hostname = short container
 * id). Undefined, with the reason, when neither can.
 */
export async function findKiller(control: string, instance: string): Promise<Killer | { reason: string }> {
  if (await controlApi(control)) {
    return {
      how: `POST ${control}/kill`,
      async kill(target) {
        const answer = await call(`${control}/kill`, { method: 'POST', json: { instance: target } });
        return ok(answer) ? undefined : `POST ${control}/kill answered ${answer.status || 'nothing'}`;
      },
    };
  }
  if (!existsSync(DOCKER)) return { reason: `no control API at ${control} and no ${DOCKER}` };
  const containerOf = async (target: string) => {
    const host = target.replace(/-\d+$/, '');
    const { stdout } = await run(DOCKER, ['ps', '--no-trunc', '--format', '{{.ID}}'], { timeout: 10_000 });
    return stdout.split('\n').find((id) => host.length >= 6 && id.startsWith(host));
  };
  const container = await containerOf(instance).catch(() => undefined);
  if (!container)
    return { reason: `no control API at ${control} and no Docker container named like ${instance}` };
  return {
    how: 'docker kill',
    async kill(target) {
      const id = await containerOf(target);
      if (!id) return `no container for ${target}`;
      await run(DOCKER, ['kill', id], { timeout: 20_000 });
      return undefined;
    },
  };
}
