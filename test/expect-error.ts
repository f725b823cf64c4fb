/** Shared assertions for negative tests: every one asserts the error's stable code (and, where given, details). */
import { TesseraError } from '@tessera/core'
import { expect } from 'vitest'

/** Runs `fn`, asserting it throws a TesseraError with `code` (and `details.specError` when given). */
export function expectError(
  fn: () => unknown,
  code: string,
  ...specError: [string | undefined] | []
): TesseraError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(TesseraError)
  const err = caught as TesseraError
  expect(err.code).toBe(code)
  if (specError.length > 0) expect(err.details?.specError).toBe(specError[0])
  return err
}

/** Awaits `promise`, asserting it rejects with a TesseraError; returns its code. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(TesseraError)
    return (err as TesseraError).code
  }
  throw new Error('expected a TesseraError')
}
