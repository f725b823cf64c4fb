/**
 * JSON Schemas (draft 2020-12 subset that Ajv 8 runs) of every request body, checked at the boundary before a
 * handler runs (the body limit bounds every string; the verifiers cap token lengths themselves): a body that does not match is a 400 `ERR_INPUT_INVALID` naming the member. Credentials and
 * presentations themselves are free-form JSON here; their own rules are checked by the credential code
 * (`validateCredentialInput`, the verifiers), which reports every problem with a code.
 */

const presentationValue = {
  description: 'a vp+jwt compact JWS, an EnvelopedVerifiablePresentation, or a presentation object',
  anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }],
} as const

const credentialValue = {
  description: 'a vc+jwt compact JWS, an EnvelopedVerifiableCredential, or a secured credential object',
  anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }],
} as const

const shortString = { type: 'string', minLength: 1, maxLength: 512 } as const

/** `POST /credentials/issue` (VC-API IssueCredentialRequest). */
export const issueBody = {
  type: 'object',
  required: ['credential'],
  additionalProperties: false,
  properties: {
    credential: { type: 'object' },
    options: {
      type: 'object',
      additionalProperties: false,
      properties: {
        /** Tessera: how to secure it: Data Integrity `application/vc` (default) or `application/vc+jwt`. */
        format: { type: 'string', enum: ['application/vc', 'application/vc+jwt'] },
        /** Tessera: add BitstringStatusListEntry status entries (default true). */
        credentialStatus: { type: 'boolean' },
      },
    },
  },
} as const

/** `POST /credentials/verify` (VC-API VerifyCredentialRequest / VerifyEnvelopedCredentialRequest). */
export const verifyCredentialBody = {
  type: 'object',
  required: ['verifiableCredential'],
  additionalProperties: false,
  properties: {
    verifiableCredential: credentialValue,
    options: { type: 'object' },
  },
} as const

/** `POST /presentations/verify` (VC-API VerifyPresentationRequest, ProoflessVerifyPresentationRequest). */
export const verifyPresentationBody = {
  type: 'object',
  additionalProperties: false,
  oneOf: [{ required: ['verifiablePresentation'] }, { required: ['presentation'] }],
  properties: {
    verifiablePresentation: presentationValue,
    presentation: { type: 'object' },
    options: {
      type: 'object',
      additionalProperties: false,
      properties: { challenge: shortString, domain: shortString },
    },
  },
} as const

/** `POST /challenges`: an empty body, or a domain this server answers for. */
export const challengeBody = {
  type: 'object',
  additionalProperties: false,
  properties: { domain: shortString },
} as const

/** `POST /credentials/status` (VC-API UpdateCredentialStatusRequest). */
export const statusBody = {
  type: 'object',
  required: ['credentialId', 'credentialStatus', 'status'],
  additionalProperties: false,
  properties: {
    credentialId: { type: 'string', minLength: 1, maxLength: 2048 },
    credentialStatus: {
      type: 'object',
      required: ['type', 'statusPurpose'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', maxLength: 2048 },
        type: { type: 'string', enum: ['BitstringStatusList', 'BitstringStatusListEntry'] },
        statusPurpose: { type: 'string', enum: ['revocation', 'suspension'] },
        statusListIndex: { type: 'string', pattern: '^(0|[1-9][0-9]{0,9})$' },
        statusListCredential: { type: 'string', maxLength: 2048 },
      },
    },
    status: { type: 'boolean' },
  },
} as const

/** `POST /authorize`: the trust-loop Decision for one action on one resource. */
export const authorizeBody = {
  type: 'object',
  required: ['presentation', 'action', 'resource'],
  additionalProperties: false,
  properties: {
    presentation: presentationValue,
    action: shortString,
    resource: shortString,
    challenge: shortString,
    domain: shortString,
  },
} as const

/** `GET /status/{id}`. */
export const statusParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const

/** `GET /1.0/identifiers/{did}`. */
export const identifierParams = {
  type: 'object',
  required: ['did'],
  properties: { did: { type: 'string', minLength: 1, maxLength: 2048 } },
} as const
