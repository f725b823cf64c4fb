import { describe, expect, it } from 'vitest'
import { canonicalJson, checkJson } from './canonical-json.js'

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys and drops whitespace', () => {
    expect(canonicalJson({ b: 2, a: [1, { d: true, c: null }], e: 'x' })).toBe(
      '{"a":[1,{"c":null,"d":true}],"b":2,"e":"x"}',
    )
  })

  it('sorts by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    }
    // (not via JSON.parse: it would list the integer-like key "1" first)
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    )
  })

  it('escapes strings as RFC 8785 §3.2.2.2 requires', () => {
    expect(canonicalJson('\u0000\u001f"\\/\u007f\u00e9\u2028')).toBe(
      '"\\u0000\\u001f\\"\\\\/\u007f\u00e9\u2028"',
    )
  })

  it('serializes null-prototype objects', () => {
    const o: Record<string, unknown> = Object.create(null)
    o.z = 1
    o.a = 2
    expect(canonicalJson(o)).toBe('{"a":2,"z":1}')
  })

  it('checkJson names what JCS cannot represent (canonicalJson requires I-JSON input)', () => {
    for (const value of [
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      () => 1,
      Symbol('s'),
      1n,
      { a: undefined },
    ]) {
      expect(checkJson(value, 16)).toEqual(expect.any(String))
    }
  })
})
