import { defineConfig } from 'vitest/config';

/**
 * Two projects so the fast loop needs neither root nor a server: `unit` (pure code, fixtures read from disk) runs with
 * no global setup, and `integration` gets the real S3 server from `test/global.s3.ts` (Ceph radosgw, root, ~30 s to
 * start). `vitest run` runs both, as `npm test` and CI do; `npm run test:unit` runs `--project unit` alone.
 */
const shared = { testTimeout: 60_000, pool: 'forks' } as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/architecture.test.ts'],
        },
      },
      {
        test: {
          ...shared,
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global.s3.ts'],
        },
      },
    ],
  },
});
