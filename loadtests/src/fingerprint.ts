import { execFile } from 'node:child_process';
import { cpus, release, totalmem, type } from 'node:os';
import { promisify } from 'node:util';
import { findBinary } from '@scale-lab/local-services';
import type { Fingerprint } from './schema.js';
import type { ServiceVersions, StackMode } from './stacks/types.js';

const run = promisify(execFile);

export const NGINX_VERSION = /nginx\/(\S+)/;
export const REDIS_VERSION = /v=(\S+)/;
export const MARIADB_VERSION = /Ver (\S+)/;

async function versionOf(
  names: string[],
  debianPackage: string,
  args: string[],
  pattern: RegExp,
): Promise<string> {
  try {
    const binary = findBinary(names, debianPackage);
    const { stdout, stderr } = await run(binary, args);
    return pattern.exec(`${stdout}${stderr}`)?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** The versions of the binaries the local stack runs. */
export async function localVersions(): Promise<ServiceVersions> {
  const [nginx, redis, mariadb] = await Promise.all([
    versionOf(['nginx'], 'nginx', ['-v'], NGINX_VERSION),
    versionOf(['redis-server'], 'redis-server', ['--version'], REDIS_VERSION),
    versionOf(['mariadbd', 'mysqld'], 'mariadb-server', ['--version'], MARIADB_VERSION),
  ]);
  return { node: process.version, nginx, redis, mariadb };
}

/** What a number depends on: every result carries it, and the report prints it next to absolutes. */
export async function fingerprint(
  stackMode: StackMode,
  startedAt: Date,
  versions: ServiceVersions,
): Promise<Fingerprint> {
  const gitCommit = await run('git', ['rev-parse', '--short', 'HEAD'])
    .then(({ stdout }) => stdout.trim())
    .catch(() => 'unknown');
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    ...versions,
    stackMode,
    gitCommit,
    startedAt: startedAt.toISOString(),
  };
}
