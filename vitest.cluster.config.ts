import { defineConfig } from 'vitest/config'

// `npm run test:cluster`: several service processes on one MariaDB and on a private 3-node Galera
// cluster, one node killed mid-load. Heavy, so apart from `npm test`; files run one at a time.
export default defineConfig({
  test: {
    name: 'cluster',
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/cluster/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 240_000,
  },
})
