import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { IdempotencyKeyReused } from '../../app/idempotently.js'
import { AccountNotFound, DomainError, type DomainErrorCode } from '../../domain/errors.js'
import { IdempotencyKeyInUse, StoreOutcomeUnknown, StoreUnavailable } from '../../ports/errors.js'
import type { StoredResponse } from '../../ports/idempotency.js'

/** Codes raised outside the domain: by the HTTP layer, the idempotency rules or the store. */
type ServiceErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'ROUTE_NOT_FOUND'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_USE'
  | 'SERVICE_UNAVAILABLE'
  | 'COMMIT_OUTCOME_UNKNOWN'
  | 'INTERNAL_ERROR'

export type ErrorCode = DomainErrorCode | ServiceErrorCode

/** The one map from stable error code to HTTP status and title. Exhaustive by type. */
const STATUS: Record<ErrorCode, { status: number; title: string }> = {
  VALIDATION_FAILED: { status: 400, title: 'Invalid request' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body' },
  INVALID_AMOUNT: { status: 400, title: 'Invalid amount' },
  SAME_ACCOUNT: { status: 400, title: 'Source and destination are the same account' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  ACCOUNT_NOT_FOUND: { status: 404, title: 'Account not found' },
  TRANSFER_NOT_FOUND: { status: 404, title: 'Transfer not found' },
  ACCOUNT_EXISTS: { status: 409, title: 'Account already exists' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'Idempotency key in use' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  INSUFFICIENT_FUNDS: { status: 422, title: 'Insufficient funds' },
  BALANCE_LIMIT_EXCEEDED: { status: 422, title: 'Balance limit exceeded' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  COMMIT_OUTCOME_UNKNOWN: { status: 503, title: 'Outcome unknown' },
}

/** Fixed texts for 5xx: what went wrong inside is logged, never sent. */
const MASKED_DETAIL: Partial<Record<ErrorCode, string>> = {
  INTERNAL_ERROR: 'The service failed to handle the request. It has been logged.',
  SERVICE_UNAVAILABLE: 'The service cannot reach its database right now. Nothing was changed; retry later.',
  COMMIT_OUTCOME_UNKNOWN:
    'The database was asked to commit and its answer was lost, so the request may or may not have taken ' +
    'effect. Retry with the same Idempotency-Key: the retry returns the committed result or performs the ' +
    'request exactly once. Without a key, check the account before retrying.',
}

/** A client error found by the HTTP layer. */
export class RequestError extends Error {
  constructor(
    readonly code: 'VALIDATION_FAILED',
    detail: string,
  ) {
    super(detail)
  }
}

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  code: ErrorCode
  account_id?: number
}

export function problem(code: ErrorCode, detail: string, extra: { account_id?: number } = {}): ProblemBody {
  const { status, title } = STATUS[code]
  return { type: `urn:problem:internal-transfers:${code}`, title, status, detail: MASKED_DETAIL[code] ?? detail, code, ...extra }
}

/** Fastify's own client errors, by the code it gives them, with the detail to send. */
const FASTIFY_ERRORS: Record<string, [ServiceErrorCode, string | undefined]> = {
  FST_ERR_VALIDATION: ['VALIDATION_FAILED', undefined],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'The body must not exceed 64 KiB'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['MALFORMED_JSON', undefined],
  FST_ERR_CTP_INVALID_JSON_BODY: ['MALFORMED_JSON', undefined],
}

function toProblem(error: FastifyError | Error): ProblemBody {
  if (error instanceof DomainError) {
    const extra = error instanceof AccountNotFound ? { account_id: error.accountId } : {}
    return problem(error.code as DomainErrorCode, error.message, extra)
  }
  if (
    error instanceof RequestError ||
    error instanceof IdempotencyKeyReused ||
    error instanceof IdempotencyKeyInUse ||
    error instanceof StoreUnavailable ||
    error instanceof StoreOutcomeUnknown
  ) {
    return problem(error.code, error.message)
  }
  const known = 'code' in error ? FASTIFY_ERRORS[String(error.code)] : undefined
  if (known) return problem(known[0], known[1] ?? error.message)
  // JSON.parse's SyntaxError, tagged 400 by fastify's content parser.
  if (error instanceof SyntaxError && (error as FastifyError).statusCode === 400) {
    return problem('MALFORMED_JSON', 'The body is not valid JSON')
  }
  const status = (error as FastifyError).statusCode
  if (status !== undefined && status >= 400 && status < 500) return problem('VALIDATION_FAILED', error.message)
  return problem('INTERNAL_ERROR', '')
}

/**
 * The exact bytes of an error response. Idempotent requests save this and replay it, so the
 * first answer and every replay are byte-identical.
 */
export function problemResponse(error: FastifyError | Error): StoredResponse {
  const body = toProblem(error)
  return { status: body.status, body: JSON.stringify(body) }
}

/** Sends a response rendered earlier (or saved with an idempotency key) as it is. */
export function sendRendered(reply: FastifyReply, response: StoredResponse): FastifyReply {
  const type = response.status >= 400 ? 'application/problem+json; charset=utf-8' : 'application/json; charset=utf-8'
  return reply.code(response.status).type(type).send(response.body)
}

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const response = problemResponse(error)
  if (response.status >= 500) request.log.error({ err: error }, 'request failed')
  return sendRendered(reply, response)
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = problem('ROUTE_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`)
  return sendRendered(reply, { status: body.status, body: JSON.stringify(body) })
}
