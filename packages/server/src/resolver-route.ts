/**
 * `GET /1.0/identifiers/{did}`: DID Resolution (W3C DID Resolution, the Universal Resolver's HTTP binding) for
 * did:key, offline. The answer is a DID Resolution Result `{ didDocument, didResolutionMetadata,
 * didDocumentMetadata }`; errors keep that shape with `didResolutionMetadata.error`: `invalidDid` (400),
 * `methodNotSupported` (501), `representationNotSupported` (406). A did:key has no registry: every well-formed
 * one resolves, so `notFound` (404) is never the answer for it.
 */
import { TesseraError } from '@tessera/core'
import { resolveDidKey } from '@tessera/identity/did-key'
import type { FastifyInstance } from 'fastify'
import { identifierParams } from './schemas.js'

const RESOLUTION_CONTEXT = 'https://w3id.org/did-resolution/v1'
/** Media type of a DID Resolution Result. */
export const DID_RESOLUTION_MEDIA_TYPE = 'application/ld+json;profile="https://w3id.org/did-resolution"'
const DID_LD_JSON = 'application/did+ld+json'
const DID_JSON = 'application/did+json'

/** What the client asked for: the whole result (default), the document alone, or something we cannot give. */
function representation(accept: string | undefined): 'result' | 'did+ld+json' | 'did+json' | undefined {
  if (accept === undefined || accept.trim() === '') return 'result'
  const types = accept.split(',').map((part) => (part.split(';')[0] ?? '').trim().toLowerCase())
  if (
    types.some(
      (t) => t === 'application/ld+json' || t === 'application/json' || t === '*/*' || t === 'application/*',
    )
  )
    return 'result'
  if (types.includes(DID_LD_JSON)) return 'did+ld+json'
  if (types.includes(DID_JSON)) return 'did+json'
  return undefined
}

function failure(error: string, message: string) {
  return {
    '@context': RESOLUTION_CONTEXT,
    didDocument: null,
    didResolutionMetadata: { error, message },
    didDocumentMetadata: {},
  }
}

/** Mount `GET /1.0/identifiers/{did}` (DID Resolution, the Universal Resolver HTTP binding). */
export function registerResolverRoute(app: FastifyInstance): void {
  app.get('/1.0/identifiers/:did', { schema: { params: identifierParams } }, async (request, reply) => {
    const { did } = request.params as { did: string }
    const wanted = representation(request.headers.accept)
    if (wanted === undefined) {
      return reply
        .code(406)
        .type(DID_RESOLUTION_MEDIA_TYPE)
        .send(
          failure(
            'representationNotSupported',
            `accept ${DID_RESOLUTION_MEDIA_TYPE}, ${DID_LD_JSON} or ${DID_JSON}`,
          ),
        )
    }
    let document: unknown
    try {
      document = resolveDidKey(did)
    } catch (err) {
      if (err instanceof TesseraError && err.code === 'ERR_DID_METHOD_NOT_SUPPORTED') {
        return reply
          .code(501)
          .type(DID_RESOLUTION_MEDIA_TYPE)
          .send(failure('methodNotSupported', err.message))
      }
      if (err instanceof TesseraError && err.code === 'ERR_DID_INVALID') {
        return reply.code(400).type(DID_RESOLUTION_MEDIA_TYPE).send(failure('invalidDid', err.message))
      }
      throw err
    }
    if (wanted === 'did+ld+json') return reply.code(200).type(DID_LD_JSON).send(document)
    if (wanted === 'did+json') return reply.code(200).type(DID_JSON).send(document)
    return reply
      .code(200)
      .type(DID_RESOLUTION_MEDIA_TYPE)
      .send({
        '@context': RESOLUTION_CONTEXT,
        didDocument: document,
        didResolutionMetadata: { contentType: DID_LD_JSON },
        didDocumentMetadata: {},
      })
  })
}
