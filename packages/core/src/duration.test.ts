import { describe, expect, it } from 'vitest'
import { toDateTimeStamp, toNumericDate } from './clock.js'
import { parseDuration } from './duration.js'
import type { TesseraError } from './errors.js'

describe('parseDuration', () => {
  it('reads s, m, h and d', () => {
    expect(parseDuration('90s')).toBe(90)
    expect(parseDuration('5m')).toBe(300)
    expect(parseDuration('12h')).toBe(43_200)
    expect(parseDuration('30d')).toBe(2_592_000)
  })

  it.each(['', '0s', '-1d', '1.5h', '10', 'd', '1w', ' 1d', '1d ', '01d', '999999999d'])(
    'refuses %j',
    (text) => {
      try {
        parseDuration(text, '--valid-for')
        expect.unreachable()
      } catch (err) {
        expect((err as TesseraError).code).toBe('ERR_DURATION_INVALID')
        expect((err as TesseraError).message).toContain('--valid-for')
      }
    },
  )
})

describe('clock helpers', () => {
  it('formats NumericDate and dateTimeStamp', () => {
    const date = new Date('2026-05-01T10:20:30.999Z')
    expect(toNumericDate(date)).toBe(1_777_630_830)
    expect(toDateTimeStamp(date)).toBe('2026-05-01T10:20:30Z')
  })
})
