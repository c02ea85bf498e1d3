import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const SOURCE_CONDITION = '@scale-lab/source';
const servicesSetup = fileURLToPath(new URL('./libs/testing/src/global-setup.ts', import.meta.url));

export interface ProjectTestOptions {
  /** Start a real MariaDB and Redis for this project's tests (inject('mysqlUrl'), inject('redisUrl')). */
  services?: boolean;
}

/** Vitest settings shared by every project: workspace packages resolve to their TypeScript sources. */
export function projectTestConfig(name: string, options: ProjectTestOptions = {}) {
  const resolve = { conditions: [SOURCE_CONDITION, 'import', 'node', 'default'] };
  return defineProject({
    resolve,
    ssr: { resolve },
    // globalSetup files run in vitest's own environment, which has its own resolve settings.
    environments: { __vitest__: { resolve } },
    test: {
      name,
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      globalSetup: options.services ? [servicesSetup] : [],
      testTimeout: 30_000,
      hookTimeout: 120_000,
      pool: 'forks',
    },
  });
}
