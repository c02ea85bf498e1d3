import { spawn } from 'node:child_process';
import { fail, NO_INSTANCE_HEADER, pass, skip, WOODY, type Check, type CheckContext } from '../check.js';
import { describeOutcome, ok, seconds } from '../http.js';
import { sheet } from '../sheet-names.js';
import { RequestStream, type Sample } from '../stream.js';
import { sampleInstances } from './replicas.js';

const COMMAND_TIMEOUT_MS = 120_000;
/** A new replica must serve within this long after the scale command returned. */
const NEW_REPLICA_WITHIN_MS = 10_000;

interface CommandRun {
  code: number | null;
  timedOut: boolean;
  ms: number;
  output: string;
}

/** The user's scale command in a shell, bounded, its output shown as it comes (stderr) and kept. */
function runCommand(command: string, context: CheckContext): Promise<CommandRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const show = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean)) context.progress(`  | ${line}`);
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the shell and what it started
      } catch {
        // already gone
      }
    }, COMMAND_TIMEOUT_MS);
    child.on('error', (error) => {
      output += error.message;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, ms: performance.now() - started, output });
    });
  });
}

/** Resolves with the first sample from an instance not in `known`, or undefined after `ms`. */
function firstNewInstance(
  stream: RequestStream,
  known: Set<string>,
  ms: number,
): Promise<Sample | undefined> {
  const isNew = (sample: Sample) =>
    ok(sample.outcome) && !!sample.outcome.instance && !known.has(sample.outcome.instance);
  const already = stream.samples.find(isNew);
  if (already) return Promise.resolve(already);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    stream.watch((sample) => {
      if (!isNew(sample)) return false;
      clearTimeout(timer);
      resolve(sample);
      return true;
    });
  });
}

export function scalingCheck(): Check {
  return {
    id: 'scaling-without-reload',
    name: 'scaling without a proxy reload',
    timeoutMs: COMMAND_TIMEOUT_MS + NEW_REPLICA_WITHIN_MS + 60_000,
    async run(context) {
      if (!context.scale) {
        return skip(
          'give --scale CMD: the command that adds replicas (e.g. ./scale-lab ctl scale woody-api 5)',
        );
      }
      const before = await sampleInstances(context, WOODY, context.replicas);
      if (before.counts.size === 0) return skip(NO_INSTANCE_HEADER);
      const known = new Set(before.counts.keys());
      const stream = new RequestStream(`${context.site}/api/ping`, 4);
      try {
        context.progress(
          `running the scale command: ${context.scale} (replicas now: ${[...known].join(', ')})`,
        );
        const command = await runCommand(context.scale, context);
        const returnedAt = performance.now();
        if (command.code !== 0) {
          const reason = command.timedOut
            ? `did not finish within ${seconds(COMMAND_TIMEOUT_MS)}`
            : `exited with ${command.code}`;
          const last = command.output.trim().split('\n').at(-1) ?? '';
          return fail(
            `the scale command ${reason}${last ? `: ${last}` : ''}`,
            `run it by hand: ${context.scale}`,
          );
        }
        context.progress(`command done in ${seconds(command.ms)}; waiting for a new X-Instance`);
        const first = await firstNewInstance(stream, known, NEW_REPLICA_WITHIN_MS);
        await stream.stop();
        const failed = stream.failed;
        const total = stream.samples.length;
        const data = { before: [...known], commandMs: command.ms, requests: total, failed: failed.length };
        if (!first) {
          return fail(
            `no new X-Instance within ${seconds(NEW_REPLICA_WITHIN_MS)} after the command returned ` +
              `(it took ${seconds(command.ms)}); still only ${[...known].join(', ')} over ${total} requests`,
            `a proxy with a static upstream list only sees new replicas after a reload: it must re-resolve the ` +
              `service's replicas by itself (resolver + service discovery) (${sheet(context.lab)})`,
            data,
          );
        }
        const after = first.at - returnedAt;
        const when =
          after <= 0 ? 'already while the command ran' : `${seconds(after)} after the command returned`;
        const evidence =
          `${ok(first.outcome) ? first.outcome.instance : '?'} served ${when} ` +
          `(the command took ${seconds(command.ms)}); ${total - failed.length}/${total} requests 2xx during and after`;
        if (failed.length > 0) {
          return fail(
            `${evidence}; first failure: ${describeOutcome(failed[0]!.outcome)}`,
            `the proxy's retries (proxy_next_upstream) and how replicas are added: no request should fail (${sheet(context.lab)})`,
            { ...data, newInstanceAfterMs: after },
          );
        }
        return pass(evidence, { ...data, newInstanceAfterMs: after });
      } finally {
        await stream.stop();
      }
    },
  };
}
