import { startContainerBenchStack } from './containers.js';
import { startLocalBenchStack } from './local.js';
import type { BenchStack, BenchStackOptions, StackMode } from './types.js';

export type * from './types.js';
export { ContainerStackError } from './docker.js';

export const STACK_MODES: readonly StackMode[] = ['local', 'compose', 'swarm'];

export function startBenchStack(mode: StackMode, options: BenchStackOptions): Promise<BenchStack> {
  return mode === 'local' ? startLocalBenchStack(options) : startContainerBenchStack(mode, options);
}
