/** A source of time, injectable so tests and verifiers can pin "now". */
export type Clock = () => Date

/** The system clock. */
export const systemClock: Clock = () => new Date()

/** Seconds since the epoch (a JWT NumericDate, RFC 7519 §2) for a Date. */
export function toNumericDate(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}

/** An XML Schema dateTimeStamp in UTC without milliseconds (VC Data Model 2.0 §4.9), e.g. 2026-01-01T00:00:00Z. */
export function toDateTimeStamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`
}
