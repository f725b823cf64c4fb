import { createHash } from 'node:crypto'

const ROUNDS = 4

/**
 * A keyed pseudo-random permutation of `[0, length)`: position k of a list maps to a distinct, random-looking
 * index. Issuers allocate the k-th credential of a list at `permuteIndex(key, k, length)`, so indexes are spread
 * at random (Bitstring Status List v1.0 §6.1 "Group Privacy": an index must not reveal issuance order), are never
 * reused, and need no probing however full the list is. A balanced Feistel network over the smallest even
 * number of bits covering `length`, with cycle walking to stay inside `[0, length)`.
 */
export function permuteIndex(key: Uint8Array, position: number, length: number): number {
  if (!Number.isSafeInteger(length) || length < 2)
    throw new RangeError(`"length" must be an integer >= 2, got ${length}`)
  if (!Number.isSafeInteger(position) || position < 0 || position >= length) {
    throw new RangeError(`"position" must be in [0, ${length}), got ${position}`)
  }
  let bits = Math.ceil(Math.log2(length))
  if (bits % 2 === 1) bits += 1
  const half = bits / 2
  const mask = 2 ** half - 1
  let value = position
  do {
    let left = Math.floor(value / 2 ** half)
    let right = value & mask
    for (let round = 0; round < ROUNDS; round++) {
      const next = (left ^ roundFunction(key, round, right)) & mask
      left = right
      right = next
    }
    value = left * 2 ** half + right
  } while (value >= length) // cycle walking: the permutation restricted to [0, length) is still a permutation
  return value
}

function roundFunction(key: Uint8Array, round: number, input: number): number {
  const digest = createHash('sha256').update(key).update(Uint8Array.of(round)).update(String(input)).digest()
  return digest.readUInt32BE(0)
}
