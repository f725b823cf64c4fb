#!/usr/bin/env node
import { main } from './program.js'

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`tessera: internal error: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 70
  },
)
