import { InputError } from './errors.js'

const UNITS = { s: 1, m: 60, h: 3600, d: 86_400 } as const
const PATTERN = /^([1-9][0-9]{0,8})(s|m|h|d)$/

/**
 * Parse a duration such as `90s`, `5m`, `12h`, `30d` into seconds (at most 100 years).
 * @throws InputError `ERR_DURATION_INVALID`
 */
export function parseDuration(text: string, name = 'duration'): number {
  const match = typeof text === 'string' ? PATTERN.exec(text) : null
  const amount = match?.[1]
  const unit = match?.[2] as keyof typeof UNITS | undefined
  if (!amount || !unit) {
    throw new InputError(
      'ERR_DURATION_INVALID',
      `"${name}" must be a positive whole number followed by s, m, h or d (e.g. 30d), got ${JSON.stringify(text)}`,
    )
  }
  const seconds = Number(amount) * UNITS[unit]
  if (seconds > 100 * 365 * 86_400) {
    throw new InputError(
      'ERR_DURATION_INVALID',
      `"${name}" must be at most 100 years, got ${JSON.stringify(text)}`,
    )
  }
  return seconds
}
