import { describe, expect, it } from 'vitest';
import { runnableBlocks, SheetError } from '../src/sheets.js';

const sheet = (...lines: string[]) => lines.join('\n');

describe('runnableBlocks', () => {
  it('returns only the marked blocks, in order, with their options', () => {
    const markdown = sheet(
      '# A sheet',
      '<!-- run: local, background, ready: http://127.0.0.1:8099/replicas -->',
      '```sh',
      './scale-lab up --woody 3',
      '```',
      'Compose (not run):',
      '```sh',
      'docker compose up -d',
      '```',
      '<!-- run: local, timeout: 120 -->',
      '```bash',
      'hey -z 3s http://127.0.0.1:8080/api/misc/time',
      './scale-lab check --lab 3',
      '```',
    );
    expect(runnableBlocks(markdown)).toEqual([
      {
        line: 2,
        code: './scale-lab up --woody 3',
        background: true,
        ready: 'http://127.0.0.1:8099/replicas',
      },
      {
        line: 10,
        code: 'hey -z 3s http://127.0.0.1:8080/api/misc/time\n./scale-lab check --lab 3',
        background: false,
        timeoutSeconds: 120,
      },
    ]);
  });

  it('rejects an unknown option, naming the line and what is allowed', () => {
    const markdown = sheet('text', '<!-- run: local, fast -->', '```sh', 'true', '```');
    expect(() => runnableBlocks(markdown)).toThrow(SheetError);
    expect(() => runnableBlocks(markdown)).toThrow(/line 2: unknown run option "fast"; allowed: background/);
  });

  it('rejects a marker that is not local, not followed by a fence, or a background block without ready', () => {
    expect(() => runnableBlocks(sheet('<!-- run: swarm -->', '```sh', 'true', '```'))).toThrow(
      /starts with "local"/,
    );
    expect(() => runnableBlocks(sheet('<!-- run: local -->', '', '```sh', 'true', '```'))).toThrow(
      /followed directly/,
    );
    expect(() => runnableBlocks(sheet('<!-- run: local, background -->', '```sh', 'x', '```'))).toThrow(
      /needs "ready/,
    );
    expect(() => runnableBlocks(sheet('<!-- run: local -->', '```sh', 'true'))).toThrow(/never closed/);
  });

  it('finds nothing in a sheet without markers', () => {
    expect(runnableBlocks(sheet('```sh', 'docker stack deploy -c stack.yml scale-lab', '```'))).toEqual([]);
  });
});
