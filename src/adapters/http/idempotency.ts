import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Idempotency } from '../../app/idempotency.js'
import type { Applied } from '../../domain/batch.js'
import type { StoredResponse } from '../../ports/idempotency.js'
import { problemResponse, sendRendered } from './problems.js'

/** The optional header of POST routes that clients may retry (fastify matches header names in lower case). */
export const IdempotencyHeaders = Type.Object({
  'Idempotency-Key': Type.Optional(
    Type.String({ pattern: '^[\\x21-\\x7E]{1,255}$', description: '1 to 255 visible ASCII characters' }),
  ),
})

/** For the OpenAPI description of a route that takes an Idempotency-Key. */
export const IDEMPOTENCY_DESCRIPTION =
  'With an Idempotency-Key, the same key and request again answer the stored status and body with ' +
  'Idempotent-Replayed: true and apply nothing twice; the same key with another request is 422 IDEMPOTENCY_KEY_REUSED.'

/** JSON with object keys sorted at every level: equal requests give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * The request's idempotency, or undefined without the header. An applied outcome is answered with
 * `render(outcome)`, a refusal with its problem document; the write path decides which to keep.
 */
export function idempotencyOf<O extends Applied>(request: FastifyRequest, render: (outcome: O) => StoredResponse): Idempotency<O> | undefined {
  // The schema admitted one string of visible ASCII, or nothing.
  const header = request.headers['idempotency-key']
  if (typeof header !== 'string') return undefined
  // Each API key has keys of its own: callers who pick the same Idempotency-Key never meet. A space
  // cannot occur in the header, so no key of one caller can spell another's.
  const keyId = request.caller?.keyId
  const key = keyId ? `${keyId} ${header}` : header
  const path = request.url.split('?')[0]
  const fingerprint = createHash('sha256').update(`${request.method} ${path}\n${canonicalJson(request.body)}`).digest('hex')
  return {
    key,
    clientKey: header,
    fingerprint,
    render: (outcome) => (outcome.kind === 'refused' ? problemResponse(outcome.error) : render(outcome)),
  }
}

/** Sends a saved response; replays say so in `Idempotent-Replayed`. */
export function sendSaved(reply: FastifyReply, response: StoredResponse, replayed: boolean): FastifyReply {
  if (replayed) reply.header('idempotent-replayed', 'true')
  return sendRendered(reply, response)
}
