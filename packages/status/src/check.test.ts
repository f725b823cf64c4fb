import { describe, expect, it } from 'vitest'
import { expectError } from '../../../test/expect-error.js'
import { Bitstring } from './bitstring.js'
import { checkStatus, type DecodedStatusList } from './check.js'
import { decodeList, encodeList } from './codec.js'
import { buildEntry, parseEntry, type StatusPurpose } from './entry.js'

const LIST_URL = 'https://issuer.example/status/1'
const VERIFICATION: [string, string] = ['ERR_STATUS_VERIFICATION', 'STATUS_VERIFICATION_ERROR']

/** A revocation list with indexes 5 and 131,071 set, through encode and decode. */
function revocationList(): DecodedStatusList {
  const bits = new Bitstring()
  bits.set(5, 1)
  bits.set(131_071, 1)
  return { bitstring: decodeList(encodeList(bits)), statusPurpose: 'revocation', listCredentialId: LIST_URL }
}

const entryAt = (index: number, purpose: StatusPurpose = 'revocation', listCredential = LIST_URL) =>
  parseEntry(buildEntry({ purpose, index, listCredential }))

describe('checkStatus', () => {
  it('reports set and unset entries (§3.2 steps 10-13)', () => {
    const list = revocationList()
    expect(checkStatus({ entry: entryAt(5), list })).toEqual({
      purpose: 'revocation',
      index: 5,
      value: 1,
      set: true,
      message: undefined,
    })
    expect(checkStatus({ entry: entryAt(4), list })).toMatchObject({ index: 4, value: 0, set: false })
    expect(checkStatus({ entry: entryAt(0), list }).set).toBe(false)
    expect(checkStatus({ entry: entryAt(131_071), list }).set).toBe(true)
  })

  it('reads statusSize 2 values and their messages', () => {
    const bits = new Bitstring({ statusSize: 2 })
    bits.set(10, 2)
    bits.set(11, 3)
    const list: DecodedStatusList = {
      bitstring: decodeList(encodeList(bits), { statusSize: 2 }),
      statusPurpose: 'message',
      statusSize: 2,
      listCredentialId: LIST_URL,
    }
    const statusMessage = [
      { status: '0x0', message: 'pending_review' },
      { status: '0x1', message: 'accepted' },
      { status: '0x2', message: 'rejected' },
      { status: '0x3', message: 'undefined' },
    ]
    const at = (index: number) =>
      checkStatus({
        entry: parseEntry(
          buildEntry({ purpose: 'message', index, listCredential: LIST_URL, statusSize: 2, statusMessage }),
        ),
        list,
      })
    expect(at(9)).toEqual({ purpose: 'message', index: 9, value: 0, set: false, message: 'pending_review' })
    expect(at(10)).toEqual({ purpose: 'message', index: 10, value: 2, set: true, message: 'rejected' })
    expect(at(11)).toMatchObject({ value: 3, message: 'undefined' })
  })

  it('matches any of several list purposes (§3.2 step 5, Appendix A.4)', () => {
    const list = { ...revocationList(), statusPurpose: ['revocation', 'suspension'] }
    expect(checkStatus({ entry: entryAt(5, 'suspension'), list }).set).toBe(true)
    expect(checkStatus({ entry: entryAt(5, 'revocation'), list }).set).toBe(true)
    expectError(() => checkStatus({ entry: entryAt(5, 'refresh'), list }), ...VERIFICATION)
  })

  it('refuses a purpose the list does not have with STATUS_VERIFICATION_ERROR (§3.2 step 5)', () => {
    const list = revocationList()
    const err = expectError(() => checkStatus({ entry: entryAt(5, 'suspension'), list }), ...VERIFICATION)
    expect(err.message).toMatch(/"suspension" is not a statusPurpose of the status list credential/)
    expect(err.details).toMatchObject({ statusPurpose: 'suspension', listStatusPurpose: 'revocation' })
  })

  it('refuses an index past the end with RANGE_ERROR (§3.2 step 10)', () => {
    const list = revocationList()
    const err = expectError(
      () => checkStatus({ entry: entryAt(131_072), list }),
      'ERR_STATUS_RANGE',
      'RANGE_ERROR',
    )
    expect(err.details).toMatchObject({ index: 131_072, length: 131_072 })
    expectError(() => checkStatus({ entry: entryAt(2 ** 40), list }), 'ERR_STATUS_RANGE', 'RANGE_ERROR')
  })

  it('refuses a list other than the one the entry names', () => {
    const list = revocationList()
    expectError(
      () => checkStatus({ entry: entryAt(5, 'revocation', 'https://issuer.example/status/2'), list }),
      ...VERIFICATION,
    )
  })

  it("refuses an entry whose statusSize is not the list's", () => {
    const list = revocationList()
    const statusMessage = ['0x0', '0x1', '0x2', '0x3'].map((status) => ({ status, message: status }))
    const wide = parseEntry(
      buildEntry({ purpose: 'revocation', index: 5, listCredential: LIST_URL, statusSize: 2, statusMessage }),
    )
    expectError(() => checkStatus({ entry: wide, list }), ...VERIFICATION)
    // A list credential stating statusSize 2 over a list decoded one bit per entry.
    expectError(() => checkStatus({ entry: entryAt(5), list: { ...list, statusSize: 2 } }), ...VERIFICATION)
  })
})
