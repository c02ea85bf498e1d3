import { execFile } from 'node:child_process';
import { cpus, release, totalmem, type } from 'node:os';
import { promisify } from 'node:util';
import { findBinary } from '@scale-lab/local-services';
import type { Fingerprint } from './schema.js';

const run = promisify(execFile);

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

/** What a number depends on: every result carries it, and the report prints it next to absolutes. */
export async function fingerprint(
  stackMode: Fingerprint['stackMode'],
  startedAt: Date,
): Promise<Fingerprint> {
  const [nginx, redis, mariadb, gitCommit] = await Promise.all([
    versionOf(['nginx'], 'nginx', ['-v'], /nginx\/(\S+)/),
    versionOf(['redis-server'], 'redis-server', ['--version'], /v=(\S+)/),
    versionOf(['mariadbd', 'mysqld'], 'mariadb-server', ['--version'], /Ver (\S+)/),
    run('git', ['rev-parse', '--short', 'HEAD'])
      .then(({ stdout }) => stdout.trim())
      .catch(() => 'unknown'),
  ]);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    nginx,
    redis,
    mariadb,
    stackMode,
    gitCommit,
    startedAt: startedAt.toISOString(),
  };
}
