/**
 * TLS material for `tessera serve`: a certificate and key from files, or a fresh self-signed certificate for
 * local use (ECDSA P-256, SHA-256, valid for localhost and the loopback addresses, 30 days).
 */
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { EnvironmentError } from '@tessera/core'
import { generate } from 'selfsigned'

/** A certificate chain and its private key, PEM. */
export interface TlsMaterial {
  cert: string
  key: string
}

/** Read and check a PEM certificate and key: `ERR_TLS_CONFIG` when either cannot be read or they do not fit. */
export function loadTls(options: { certFile: string; keyFile: string }): TlsMaterial {
  const read = (file: string, what: string): string => {
    try {
      return readFileSync(file, 'utf8')
    } catch (err) {
      throw new EnvironmentError(
        'ERR_TLS_CONFIG',
        `cannot read the TLS ${what} ${file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      )
    }
  }
  const material = { cert: read(options.certFile, 'certificate'), key: read(options.keyFile, 'key') }
  checkTls(material)
  return material
}

/** Check that a certificate and key can serve TLS together (`ERR_TLS_CONFIG` otherwise). */
export function checkTls(material: TlsMaterial): void {
  try {
    createSecureContext({ cert: material.cert, key: material.key })
  } catch (err) {
    throw new EnvironmentError(
      'ERR_TLS_CONFIG',
      `the TLS certificate and key cannot be used: ${(err as Error).message}`,
      {
        cause: err,
      },
    )
  }
}

/** A self-signed certificate for local use; `fingerprint` is its SHA-1 fingerprint, for pinning by hand. */
export async function selfSignedTls(
  options: { hosts?: readonly string[]; days?: number } = {},
): Promise<TlsMaterial & { fingerprint: string }> {
  const hosts = options.hosts ?? ['localhost']
  const ips = ['127.0.0.1', '::1']
  const notBeforeDate = new Date()
  const notAfterDate = new Date(notBeforeDate.getTime() + (options.days ?? 30) * 86_400_000)
  const pems = await generate([{ name: 'commonName', value: hosts[0] ?? 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...hosts.map((value) => ({ type: 2 as const, value })),
          ...ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  })
  return { cert: pems.cert, key: pems.private, fingerprint: pems.fingerprint }
}
