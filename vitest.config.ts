import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: {
      '@tessera/core': pkg('core'),
      '@tessera/identity/did-key': fileURLToPath(
        new URL('./packages/identity/src/did-key.ts', import.meta.url),
      ),
      '@tessera/identity': pkg('identity'),
      '@tessera/policy': pkg('policy'),
      '@tessera/credentials/offline': fileURLToPath(
        new URL('./packages/credentials/src/offline.ts', import.meta.url),
      ),
      '@tessera/credentials': pkg('credentials'),
      '@tessera/status': pkg('status'),
      '@tessera/audit': pkg('audit'),
      '@tessera/server': pkg('server'),
      '@tessera/messaging': pkg('messaging'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
