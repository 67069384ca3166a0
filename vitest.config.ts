import { defineConfig } from 'vitest/config';

// Two projects: unit tests beside the code, and conformance suites that drive one shared running cluster
// (started by conformance/global-setup.ts unless KUBECONFIG points at an existing one).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['server/**/*.test.ts', 'kubeconfig/**/*.test.ts', 'cli/**/*.test.ts', 'controllers/**/*.test.ts', 'scheduler/**/*.test.ts', 'kubelet/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'conformance',
          include: ['conformance/**/*.test.ts'],
          globalSetup: ['conformance/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
