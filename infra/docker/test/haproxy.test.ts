// The HAProxy variant's configuration, checked by the real haproxy binary (Debian's 2.6 here: the oldest
// the image must run on). Its routing is exercised for real by the compose smoke run in CI.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { findBinary } from '@scale-lab/local-services';
import { expect, it } from 'vitest';

const config = join(import.meta.dirname, '../../haproxy/haproxy.cfg');

it('haproxy accepts the configuration', () => {
  const haproxy = findBinary(['haproxy'], 'haproxy');
  const check = spawnSync(haproxy, ['-c', '-f', config], { encoding: 'utf8' });
  expect(check.stdout + check.stderr).toContain('Configuration file is valid');
  expect(check.status).toBe(0);
});

it('haproxy rejects a broken configuration (the check can fail)', () => {
  const haproxy = findBinary(['haproxy'], 'haproxy');
  const check = spawnSync(haproxy, ['-c', '-f', '/dev/stdin'], {
    encoding: 'utf8',
    input: 'backend b\n  balance nosuchalgo\n',
  });
  expect(check.status).not.toBe(0);
});
