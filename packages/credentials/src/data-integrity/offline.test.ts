/**
 * `@tessera/credentials/offline` stays free of Veramo and of the database now that it verifies Data Integrity:
 * the runtime import graph of its sources (type-only imports excluded) reaches no `@veramo/*`, TypeORM or SQLite
 * module, and not the `@tessera/identity` main entry (which wires Veramo); only `@tessera/identity/did-key`.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const PACKAGES = new URL('../../../', import.meta.url)
/** Workspace entry points the offline graph may load, by specifier. */
const WORKSPACE: Record<string, string> = {
  '@tessera/core': 'core/src/index.ts',
  '@tessera/policy': 'policy/src/index.ts',
  '@tessera/identity/did-key': 'identity/src/did-key.ts',
}
const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm

function runtimeGraph(entry: URL): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>()
  const external = new Set<string>()
  const pending = [entry]
  while (pending.length > 0) {
    const file = pending.pop() as URL
    const path = fileURLToPath(file)
    if (files.has(path)) continue
    files.add(path)
    for (const [, specifier] of readFileSync(path, 'utf8').matchAll(IMPORT)) {
      if (specifier === undefined) continue
      if (specifier.startsWith('.')) pending.push(new URL(specifier.replace(/\.js$/, '.ts'), file))
      else if (Object.hasOwn(WORKSPACE, specifier))
        pending.push(new URL(WORKSPACE[specifier] as string, PACKAGES))
      else external.add(specifier)
    }
  }
  return { files, external }
}

describe('@tessera/credentials/offline', () => {
  it('loads Data Integrity verification but no Veramo, TypeORM, SQLite or identity main entry', () => {
    const { files, external } = runtimeGraph(new URL('credentials/src/offline.ts', PACKAGES))
    const names = [...files].map((f) => f.slice(fileURLToPath(PACKAGES).length))
    expect(names).toContain('credentials/src/data-integrity/proof.ts')
    expect(names).not.toContain('credentials/src/data-integrity/sign.ts')
    expect(names).not.toContain('credentials/src/signer.ts')
    const forbidden = [...external].filter((s) =>
      /^(@veramo\/|typeorm|better-sqlite3|@tessera\/identity$|@digitalbazaar\/vc$|@digitalbazaar\/data-integrity$)/.test(
        s,
      ),
    )
    expect(forbidden).toEqual([])
    expect(external).toContain('@digitalbazaar/eddsa-rdfc-2022-cryptosuite')
  })
})
