import { spawn } from 'node:child_process';

/** The docker client: DOCKER picks another one (e.g. Debian's /usr/bin/docker next to a newer one). */
export const DOCKER = process.env.DOCKER ?? 'docker';

export class ContainerStackError extends Error {
  override name = 'ContainerStackError';
}

export interface CommandOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs a command to completion and returns its stdout; a failure says which command and what it printed. */
export function command(file: string, args: string[], options: CommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C in the terminal reaches only the runner, which then stops cleanly.
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const failed = (reason: string) => {
      const output = `${Buffer.concat(stderr).toString()}${Buffer.concat(stdout).toString()}`
        .trim()
        .split('\n')
        .slice(-8)
        .join('\n');
      reject(
        new ContainerStackError(
          `${[file, ...args].join(' ')} failed${output ? `:\n${output}` : `: ${reason}`}`,
        ),
      );
    };
    child.once('error', (error) => failed(error.message));
    child.once('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(stdout).toString());
      else failed(signal ? `killed by ${signal}` : `exit ${code}`);
    });
  });
}

export const docker = (args: string[], options?: CommandOptions) => command(DOCKER, args, options);

/** The parts of `docker inspect` the runner reads. */
export interface ContainerInfo {
  Id: string;
  Config: { Env: string[] | null };
  State: { Running: boolean; Health?: { Status: string; Log?: { Output: string }[] } };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

export async function inspect(ids: readonly string[]): Promise<ContainerInfo[]> {
  if (ids.length === 0) return [];
  try {
    return JSON.parse(await docker(['inspect', ...ids])) as ContainerInfo[];
  } catch (error) {
    // A container removed between `docker ps` and `docker inspect` (a replica being replaced).
    if (/No such (object|container)/i.test((error as Error).message)) return [];
    throw error;
  }
}

/** Running containers carrying all these labels. */
export async function runningContainers(labels: Record<string, string>): Promise<string[]> {
  const filters = Object.entries(labels).flatMap(([key, value]) => ['--filter', `label=${key}=${value}`]);
  return (await docker(['ps', '-q', '--no-trunc', ...filters])).split('\n').filter(Boolean);
}

export function envOf(container: ContainerInfo): Record<string, string> {
  return Object.fromEntries(
    (container.Config.Env ?? []).map((entry) => {
      const at = entry.indexOf('=');
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

export function isHealthy(container: ContainerInfo): boolean {
  return container.State.Running && (container.State.Health?.Status ?? 'healthy') === 'healthy';
}
