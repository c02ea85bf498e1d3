/**
 * The runnable command blocks of a lab sheet (docs/labs/*.md), so a test can run them as a student would.
 *
 * A block is runnable when the line just before its ```sh (or ```bash) fence is a marker:
 *   <!-- run: local -->                                  run it, it must exit 0
 *   <!-- run: local, timeout: 180 -->                    the same, with its own bound in seconds
 *   <!-- run: local, background, ready: http://… -->     start it, wait until the URL answers, stop it with
 *                                                        SIGINT (Ctrl-C) when the sheet is done
 * Unmarked blocks (compose, Swarm, outputs) are prose. A malformed marker is an error, never skipped:
 * a sheet whose commands silently stopped being tested would be worse than a failing test.
 */

export interface RunnableBlock {
  /** 1-based line of the marker, for messages. */
  line: number;
  /** The block's text, without the fences. */
  code: string;
  /** Started and left running until the sheet ends (e.g. `./scale-lab up`). */
  background: boolean;
  /** Background blocks: the URL that answers once the block is ready. */
  ready?: string;
  /** Foreground blocks: how long the block may run. */
  timeoutSeconds?: number;
}

const MARKER = /^\s*<!--\s*run:(.*)-->\s*$/;
const FENCE_OPEN = /^\s*```(sh|bash)\s*$/;
const FENCE_CLOSE = /^\s*```\s*$/;

export class SheetError extends Error {
  override name = 'SheetError';
}

/** Parses one marker's options ("local, background, ready: URL") into the block's settings. */
function parseOptions(text: string, line: number): Omit<RunnableBlock, 'line' | 'code'> {
  const options = text
    .split(',')
    .map((option) => option.trim())
    .filter((option) => option !== '');
  if (options[0] !== 'local') {
    throw new SheetError(`line ${line}: a run marker starts with "local" (got "${text.trim()}")`);
  }
  const block: Omit<RunnableBlock, 'line' | 'code'> = { background: false };
  for (const option of options.slice(1)) {
    const [key, ...rest] = option.split(':');
    const value = rest.join(':').trim();
    if (key === 'background' && rest.length === 0) block.background = true;
    else if (key === 'ready' && /^https?:\/\/\S+$/.test(value)) block.ready = value;
    else if (key === 'timeout' && /^\d+$/.test(value) && Number(value) > 0)
      block.timeoutSeconds = Number(value);
    else {
      throw new SheetError(
        `line ${line}: unknown run option "${option}"; allowed: background, ready: <http URL>, timeout: <seconds>`,
      );
    }
  }
  if (block.background && !block.ready) {
    throw new SheetError(`line ${line}: a background block needs "ready: <URL>" to know when it has started`);
  }
  if (!block.background && block.ready) {
    throw new SheetError(`line ${line}: "ready" is only for background blocks`);
  }
  return block;
}

/** The marked blocks of a sheet, in order. Throws a SheetError on a malformed marker or fence. */
export function runnableBlocks(markdown: string): RunnableBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]!);
    if (!marker) continue;
    const line = i + 1;
    const options = parseOptions(marker[1]!, line);
    if (!FENCE_OPEN.test(lines[i + 1] ?? '')) {
      throw new SheetError(
        `line ${line}: a run marker must be followed directly by a \`\`\`sh or \`\`\`bash fence`,
      );
    }
    const end = lines.findIndex((text, j) => j > i + 1 && FENCE_CLOSE.test(text));
    if (end < 0) throw new SheetError(`line ${line}: the code block after the run marker is never closed`);
    blocks.push({ line, code: lines.slice(i + 2, end).join('\n'), ...options });
    i = end;
  }
  return blocks;
}
