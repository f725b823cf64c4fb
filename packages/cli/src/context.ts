import { InputError } from '@tessera/core'
import { type Home, openHome, resolveHomeDir } from '@tessera/identity'

/** Options every command takes. */
export interface GlobalOptions {
  home?: string
  json?: boolean
}

/** The home folder a command works on. */
export function homeDir(options: GlobalOptions): string {
  return resolveHomeDir({ home: options.home })
}

/** Open the home, run `work`, always close it. */
export async function withHome<T>(options: GlobalOptions, work: (home: Home) => Promise<T>): Promise<T> {
  const home = await openHome({ dir: homeDir(options) })
  try {
    return await work(home)
  } finally {
    await home.close()
  }
}

/** Parse a JSON option value, naming the option in the error. */
export function parseJsonOption(value: string, option: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    throw new InputError(
      'ERR_INPUT_INVALID',
      `"${option}" must be valid JSON, got ${JSON.stringify(value.slice(0, 80))}`,
    )
  }
}
