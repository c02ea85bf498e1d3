import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { Plugin } from 'vite';
import { defineProject } from 'vitest/config';

const SOURCE_CONDITION = '@scale-lab/source';
const servicesSetup = fileURLToPath(new URL('./libs/testing/src/global-setup.ts', import.meta.url));
// Logs of child processes and in-process apps go to files; a failing test prints their new lines.
const logSetup = fileURLToPath(new URL('./libs/testing/src/log-setup.ts', import.meta.url));

/**
 * Standard (TC39) decorators, as tsc compiles them: Vite's own transformer only knows the legacy
 * experimentalDecorators kind, and Node cannot run decorators at all yet.
 */
const standardDecorators: Plugin = {
  name: 'scale-lab:standard-decorators',
  enforce: 'pre',
  transform(code, id) {
    if (!id.endsWith('.ts') || !/^\s*@[A-Za-z]/m.test(code)) return undefined;
    const output = ts.transpileModule(code, {
      fileName: id,
      compilerOptions: {
        target: ts.ScriptTarget.ES2023,
        module: ts.ModuleKind.ESNext,
        sourceMap: true,
        verbatimModuleSyntax: false,
      },
    });
    return { code: output.outputText, map: output.sourceMapText };
  },
};

export interface ProjectTestOptions {
  /** Start a real MariaDB and Redis for this project's tests (inject('mysqlUrl'), inject('redisUrl')). */
  services?: boolean;
}

/** Vitest settings shared by every project: workspace packages resolve to their TypeScript sources. */
export function projectTestConfig(name: string, options: ProjectTestOptions = {}) {
  const resolve = { conditions: [SOURCE_CONDITION, 'import', 'node', 'default'] };
  return defineProject({
    plugins: [standardDecorators],
    resolve,
    ssr: { resolve },
    // globalSetup files run in vitest's own environment, which has its own resolve settings.
    environments: { __vitest__: { resolve } },
    test: {
      name,
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      globalSetup: options.services ? [servicesSetup] : [],
      setupFiles: [logSetup],
      testTimeout: 30_000,
      hookTimeout: 120_000,
      pool: 'forks',
    },
  });
}
