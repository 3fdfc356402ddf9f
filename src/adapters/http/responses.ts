import { type TSchema, Type } from 'typebox'
import { ERRORS, type ErrorCode, RETRY_AFTER_S } from '../../app/errors.js'
import { AccountId } from './schemas.js'

// A route's `response` serves twice: fastify serializes successes with it (the whitelist of what may
// leave the service), @fastify/swagger writes it into the OpenAPI document. Problems are sent as
// rendered text (see problems.ts), so their schemas only describe; test/e2e/openapi.test.ts checks
// that what the service answers is what this declares.

/** A response header as a JSON schema with its description (@fastify/swagger makes the OpenAPI header of it). */
interface HeaderSpec {
  type: 'string' | 'integer'
  description: string
  enum?: string[]
  minimum?: number
}

const REPLAYED: Record<string, HeaderSpec> = {
  'Idempotent-Replayed': {
    type: 'string',
    enum: ['true'],
    description: 'Present, "true", when this is the stored answer to an earlier request with the same Idempotency-Key',
  },
}

/** On every answer of a rate-limited route: the caller's token bucket (per API key, or per client address without one). */
const RATE_LIMIT: Record<string, HeaderSpec> = {
  'RateLimit-Limit': { type: 'integer', minimum: 1, description: 'Requests the bucket holds at most (its burst)' },
  'RateLimit-Remaining': { type: 'integer', minimum: 0, description: 'Requests left in the bucket, as this instance knows it' },
  'RateLimit-Reset': { type: 'integer', minimum: 0, description: 'Seconds until the bucket is full again' },
}

/** On every 503: seconds to wait before retrying, by what caused it (RETRY_AFTER_S in the error registry). */
export const RETRY_AFTER: HeaderSpec = {
  type: 'integer',
  minimum: 1,
  description: `Seconds to wait before retrying: ${Object.entries(RETRY_AFTER_S).map(([cause, seconds]) => `${seconds} when ${cause}`).join(', ')}`,
}

/** Headers a refusal carries, by its code. */
const HEADERS_OF: Partial<Record<ErrorCode, Record<string, HeaderSpec>>> = {
  UNAUTHENTICATED: {
    'WWW-Authenticate': { type: 'string', description: 'Bearer realm="internal-transfers", with error="invalid_token" when a key was sent' },
  },
  INSUFFICIENT_SCOPE: {
    'WWW-Authenticate': { type: 'string', description: 'Bearer realm="internal-transfers", error="insufficient_scope", scope="<the scope needed>"' },
  },
  RATE_LIMITED: { 'Retry-After': { type: 'integer', minimum: 1, description: 'Seconds until a request may succeed again' } },
  SERVICE_UNAVAILABLE: { 'Retry-After': RETRY_AFTER },
  COMMIT_OUTCOME_UNKNOWN: { 'Retry-After': RETRY_AFTER },
}

/** One response of the document; fastify types the handler's reply from `schema`. */
export interface ResponseSpec<T extends TSchema = TSchema> {
  description: string
  headers?: Record<string, HeaderSpec>
  content: Record<string, { schema: T }>
}

/** A success in JSON: `schema` serializes it. */
export function json<T extends TSchema>(description: string, schema: T): ResponseSpec<T> {
  return { description, content: { 'application/json': { schema } } }
}

const problemFields = (status: number, codes: ErrorCode[]) => ({
  type: Type.String({ description: 'urn:problem:internal-transfers:<code>' }),
  title: Type.String({ description: 'the title the registry gives the code' }),
  status: Type.Integer({ enum: [status] }),
  detail: Type.String({ description: 'what went wrong, in one sentence (a fixed text for 5xx)' }),
  code: Type.Enum(codes, { type: 'string', description: 'stable: the field to branch on' }),
})
const accountNotFoundField = {
  account_id: Type.Optional({ ...AccountId, description: 'with ACCOUNT_NOT_FOUND: the account that does not exist' }),
}

const batchItemFields = {
  index: Type.Optional(Type.Integer({ minimum: 0, description: 'with BATCH_ITEM_REFUSED: the item refused, from 0' })),
  item_code: Type.Optional(Type.String({ description: 'with BATCH_ITEM_REFUSED: the code the item was refused with' })),
}

/** RFC 9457 problem details with one of `codes`, which share one status; `account_id` only with ACCOUNT_NOT_FOUND (or a batch item's), `index` and `item_code` only with BATCH_ITEM_REFUSED. */
function problemSchema(status: number, codes: ErrorCode[]): TSchema {
  const batch = codes.includes('BATCH_ITEM_REFUSED')
  return Type.Object({
    ...problemFields(status, codes),
    ...(codes.includes('ACCOUNT_NOT_FOUND') || batch ? accountNotFoundField : {}),
    ...(batch ? batchItemFields : {}),
  })
}

export interface Responses<S> {
  /** The route's successes by status. */
  success: S
  /** Every code the route may answer with; grouped by the status the registry gives each. */
  codes: ErrorCode[]
  /**
   * The route takes an Idempotency-Key: its success and the refusals the registry keeps may be
   * replays, which carry Idempotent-Replayed.
   */
  replayable?: boolean
}

/** A route's `response` schema: its successes, and one problem+json response per error status. */
export function responses<S extends Record<number, ResponseSpec>>({
  success,
  codes,
  replayable = false,
}: Responses<S>): S {
  const byStatus = new Map<number, ErrorCode[]>()
  const inRegistryOrder = (Object.keys(ERRORS) as ErrorCode[]).filter((code) => codes.includes(code))
  for (const code of inRegistryOrder) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code])
  const limited = codes.includes('RATE_LIMITED') ? RATE_LIMIT : {}
  const withHeaders = (spec: ResponseSpec, headers: Record<string, HeaderSpec>): ResponseSpec =>
    Object.keys(headers).length > 0 ? { ...spec, headers } : spec
  const result: Record<number, ResponseSpec> = {}
  for (const [status, spec] of Object.entries(success)) {
    result[Number(status)] = withHeaders(spec, { ...limited, ...(replayable ? REPLAYED : {}) })
  }
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = {
      ...limited,
      ...Object.assign({}, ...group.map((code) => HEADERS_OF[code] ?? {})),
      ...(replayable && group.some((code) => ERRORS[code].kept) ? REPLAYED : {}),
    }
    result[status] = withHeaders(
      {
        description: group.map((code) => `${code}: ${ERRORS[code].title}`).join('; '),
        content: { 'application/problem+json': { schema: problemSchema(status, group) } },
      },
      headers,
    )
  }
  // Typed as the successes alone: fastify types a handler's reply from this, and handlers return only
  // successes (problems are rendered text, sent by the error handler or sendRendered).
  return result as S
}

/** Refusals any route may give: an invalid parameter, query or header, and a failure of the service. */
export const EVERY_ROUTE: ErrorCode[] = ['VALIDATION_FAILED', 'INTERNAL_ERROR']
/** Refusals of a route that needs an API key: none valid (401), a scope missing (403), its bucket empty (429). */
export const AUTHENTICATED: ErrorCode[] = ['UNAUTHENTICATED', 'INSUFFICIENT_SCOPE', 'RATE_LIMITED']
/** Refusals of a route that reads a JSON body. */
export const JSON_BODY: ErrorCode[] = ['MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']
/** A route that asks MariaDB (a cached read too, on a miss). */
export const READS_DATABASE: ErrorCode[] = ['SERVICE_UNAVAILABLE']
/** A route that commits, optionally under an Idempotency-Key. */
export const WRITES_DATABASE: ErrorCode[] = [
  'SERVICE_UNAVAILABLE',
  'COMMIT_OUTCOME_UNKNOWN',
  'IDEMPOTENCY_KEY_IN_USE',
  'IDEMPOTENCY_KEY_REUSED',
]
