import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/support/global-setup.ts'],
          // Real MariaDB round trips and a spawned service: give them room, never assert speed.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
