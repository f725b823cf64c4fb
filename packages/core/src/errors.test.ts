import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, errorFamily, isErrorCode, TesseraError, toTesseraError } from './errors.js'

describe('error model', () => {
  it('documents every code in packages/core/README.md', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const missing = Object.keys(ERROR_CODES).filter((code) => !readme.includes(`\`${code}\``))
    expect(missing).toEqual([])
  })

  it('keeps codes stable in shape and family', () => {
    for (const [code, family] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^ERR_[A-Z0-9_]+$/)
      expect(['input', 'environment', 'identity', 'verification', 'policy', 'internal']).toContain(family)
    }
    expect(errorFamily('ERR_KEYSTORE_LOCKED')).toBe('environment')
  })

  it('checks codes with own properties only', () => {
    expect(isErrorCode('ERR_USAGE')).toBe(true)
    expect(isErrorCode('toString')).toBe(false)
    expect(isErrorCode('__proto__')).toBe(false)
    expect(isErrorCode(42)).toBe(false)
  })

  it('wraps unknown throwables as ERR_INTERNAL and serializes without stack', () => {
    const wrapped = toTesseraError(new Error('boom'))
    expect(wrapped.code).toBe('ERR_INTERNAL')
    const err = new TesseraError('ERR_INPUT_INVALID', 'bad', { details: { field: 'x' } })
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      code: 'ERR_INPUT_INVALID',
      message: 'bad',
      details: { field: 'x' },
    })
    expect(err.name).toBe('TesseraError')
    expect(err.family).toBe('input')
  })
})
