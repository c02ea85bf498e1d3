import { defineConfig } from 'vitest/config';

// One run over every project; each project's own vitest.config.ts says what it needs.
export default defineConfig({
  test: {
    projects: [
      'apps/*/vitest.config.ts',
      'libs/*/vitest.config.ts',
      'infra/*/vitest.config.ts',
      'loadtests/vitest.config.ts',
      'labs/vitest.config.ts',
    ],
  },
});
