import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Two projects. `unit` (tests/unit/**) is the fast loop: in-process code only, no child processes,
// no listening servers, no database server, no build needed (`npm run test:unit`, well under a
// minute). `integration` (tests/integration/**) starts the built station and hub (dist/) as child
// processes, real servers and PostgreSQL, so `npm test` builds first. Speed targets live in
// benchmarks, never in assertions here.
//
// Vitest's default in `run` mode is one worker less than the cores, i.e. a single worker on a
// 2-core machine. Integration files mostly wait on child processes and sockets, so every core gets
// a worker.
const workers = Math.max(2, os.availableParallelism());

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: workers,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'integration', include: ['tests/integration/**/*.test.ts'], globalSetup: ['tests/integration/global-setup.ts'] },
      },
    ],
  },
});
