// Bitstring Status List: (a) status checks per second on a cached, decoded list, against a raw Uint8Array bit
// test over the same indexes; (b) decoding a 131,072-entry list with ~1% of entries set, against node:zlib's
// gunzipSync of the same compressed bytes. Both references run in the same process.
// Needs the built package (`npx tsc -b packages/status`).
//
//   node bench/status-codec.bench.mjs
import { gunzipSync } from 'node:zlib'
import {
  Bitstring,
  buildEntry,
  checkStatus,
  decodeList,
  encodeList,
  parseEntry,
} from '../packages/status/dist/index.js'
import { measure, report } from './lib.mjs'

const LIST_URL = 'https://issuer.example/status/1'
const ENTRIES = 131_072
const CHECKS_PER_CALL = 100_000

/** A small deterministic PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

// A 131,072-entry revocation list with ~1% of entries (1,311) set at random.
const random = prng(7)
const issued = new Bitstring({ length: ENTRIES })
const revoked = new Set()
while (revoked.size < Math.round(ENTRIES / 100)) revoked.add(Math.floor(random() * ENTRIES))
for (const index of revoked) issued.set(index, 1)
const encodedList = encodeList(issued)
const compressed = Buffer.from(encodedList.slice(1), 'base64url')

// (a) checks on the cached decoded list: 4,096 parsed entries at random indexes, cycled.
const list = { bitstring: decodeList(encodedList), statusPurpose: 'revocation', listCredentialId: LIST_URL }
const indexes = Array.from({ length: 4096 }, () => Math.floor(random() * ENTRIES))
const entries = indexes.map((index) =>
  parseEntry(buildEntry({ purpose: 'revocation', index, listCredential: LIST_URL })),
)
const rawIndexes = Uint32Array.from(indexes)
const bytes = list.bitstring.bytes

let sink = 0
const checks = await measure(
  () => {
    let set = 0
    for (let i = 0; i < CHECKS_PER_CALL; i++) {
      if (checkStatus({ entry: entries[i & 4095], list }).set) set++
    }
    sink += set
  },
  { batch: CHECKS_PER_CALL },
)
const rawBitTests = await measure(
  () => {
    let set = 0
    for (let i = 0; i < CHECKS_PER_CALL; i++) {
      const index = rawIndexes[i & 4095]
      set += (bytes[index >>> 3] >>> (7 - (index & 7))) & 1
    }
    sink += set
  },
  { batch: CHECKS_PER_CALL },
)
report({
  name: 'checkStatus on a cached decoded list (131,072 entries, 4,096 parsed entries cycled)',
  value: checks.opsPerSec,
  unit: 'checks/s',
  reference: {
    label: 'raw Uint8Array bit test, same indexes',
    value: rawBitTests.opsPerSec,
    unit: 'checks/s',
  },
  target: '>= 1,000,000 checks/s',
  note: 'checkStatus: purpose, list URL and statusSize matched, range-checked read, result object per check',
})

// (b) decode: Multibase + base64url validation + gunzip with a cap + length checks, vs raw gunzip.
const DECODES_PER_CALL = 20
const decodes = await measure(
  () => {
    for (let i = 0; i < DECODES_PER_CALL; i++) sink += decodeList(encodedList).length
  },
  { batch: DECODES_PER_CALL },
)
const gunzips = await measure(
  () => {
    for (let i = 0; i < DECODES_PER_CALL; i++) sink += gunzipSync(compressed).length
  },
  { batch: DECODES_PER_CALL },
)
report({
  name: `decodeList, 131,072 entries, 1% set (${encodedList.length.toLocaleString('en-US')}-character encodedList)`,
  value: 1000 / decodes.opsPerSec,
  unit: 'ms',
  reference: { label: 'zlib.gunzipSync of the same bytes', value: 1000 / gunzips.opsPerSec, unit: 'ms' },
  higherIsBetter: false,
  target: '>= 0.5',
  note: `${compressed.length.toLocaleString('en-US')} compressed bytes; decodeList also checks prefix, alphabet and canonical base64url`,
})

if (sink === 0) process.stderr.write('unexpected: no work measured\n')
