import { defineConfig } from 'vitest/config';

// Three projects: unit tests beside the code, the node agent's tests (real containerd), and conformance suites that drive one shared running cluster
// (started by conformance/global-setup.ts unless KUBECONFIG points at an existing one).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['server/**/*.test.ts', 'kubeconfig/**/*.test.ts', 'cli/**/*.test.ts', 'controllers/**/*.test.ts', 'scheduler/**/*.test.ts', 'proxy/**/*.test.ts', 'dns/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The node agent's tests start real containerd instances: one file at a time, so they never race.
        test: {
          name: 'node',
          include: ['kubelet/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 600_000,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
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
