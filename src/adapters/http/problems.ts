import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { codeOf, ERRORS, type ErrorCode, retryAfterOf } from '../../app/errors.js'
import { AccountNotFound, BatchItemRefused, CodedError } from '../../domain/errors.js'
import type { StoredResponse } from '../../ports/idempotency.js'

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
export class RequestError extends CodedError {
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
  /** With BATCH_ITEM_REFUSED: the item (from 0) and the code it was refused with. */
  index?: number
  item_code?: string
}

type ProblemExtra = Pick<ProblemBody, 'account_id' | 'index' | 'item_code'>

export function problem(code: ErrorCode, detail: string, extra: ProblemExtra = {}): ProblemBody {
  const { status, title, fault } = ERRORS[code]
  const shown = fault === 'server' ? (MASKED_DETAIL[code] ?? MASKED_DETAIL.INTERNAL_ERROR ?? '') : detail
  return { type: `urn:problem:internal-transfers:${code}`, title, status, detail: shown, code, ...extra }
}

/** Fastify's own client errors, by the code it gives them, with the detail to send. */
const FASTIFY_ERRORS: Record<string, [ErrorCode, string | undefined]> = {
  FST_ERR_VALIDATION: ['VALIDATION_FAILED', undefined],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'The body must not exceed 64 KiB (512 KiB for a batch)'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['MALFORMED_JSON', undefined],
  FST_ERR_CTP_INVALID_JSON_BODY: ['MALFORMED_JSON', undefined],
}

/** The fields a problem carries beyond the standard ones, by its error. */
function extraOf(error: Error): ProblemExtra {
  if (error instanceof AccountNotFound) return { account_id: error.accountId }
  if (error instanceof BatchItemRefused) {
    const inner = error.refusal instanceof AccountNotFound ? { account_id: error.refusal.accountId } : {}
    return { index: error.index, item_code: error.refusal.code, ...inner }
  }
  return {}
}

/** A refusal as problem details, for a body that lists several (a batch's results). */
export function problemOf(error: CodedError): ProblemBody {
  return toProblem(error)
}

function toProblem(error: FastifyError | Error): ProblemBody {
  const code = codeOf(error)
  if (code) return problem(code, error.message, extraOf(error))
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
  const retryAfter = retryAfterOf(error)
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter))
  return sendRendered(reply, response)
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = problem('ROUTE_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`)
  return sendRendered(reply, { status: body.status, body: JSON.stringify(body) })
}
