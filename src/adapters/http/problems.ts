import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { AccountNotFound, DomainError, type DomainErrorCode } from '../../domain/errors.js'
import { StoreUnavailable } from '../../ports/errors.js'

/** Codes raised by the HTTP layer itself, before a use case runs. */
type HttpErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'ROUTE_NOT_FOUND'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR'

export type ErrorCode = DomainErrorCode | HttpErrorCode

/** The one map from stable error code to HTTP status and title. Exhaustive by type. */
const STATUS: Record<ErrorCode, { status: number; title: string }> = {
  VALIDATION_FAILED: { status: 400, title: 'Invalid request' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body' },
  INVALID_AMOUNT: { status: 400, title: 'Invalid amount' },
  SAME_ACCOUNT: { status: 400, title: 'Source and destination are the same account' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  ACCOUNT_NOT_FOUND: { status: 404, title: 'Account not found' },
  ACCOUNT_EXISTS: { status: 409, title: 'Account already exists' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  INSUFFICIENT_FUNDS: { status: 422, title: 'Insufficient funds' },
  BALANCE_LIMIT_EXCEEDED: { status: 422, title: 'Balance limit exceeded' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
}

/** Fixed texts for 5xx: what went wrong inside is logged, never sent. */
const MASKED_DETAIL: Partial<Record<ErrorCode, string>> = {
  INTERNAL_ERROR: 'The service failed to handle the request. It has been logged.',
  SERVICE_UNAVAILABLE: 'The service cannot reach its database right now. Nothing was changed; retry later.',
}

/** A client error found by the HTTP layer. */
export class RequestError extends Error {
  constructor(
    readonly code: HttpErrorCode,
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

/** Fastify's own client errors, by the code it gives them. */
const FASTIFY_CODES: Record<string, HttpErrorCode> = {
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
}

function toProblem(error: FastifyError | Error): ProblemBody {
  if (error instanceof DomainError) {
    const extra = error instanceof AccountNotFound ? { account_id: error.accountId } : {}
    return problem(error.code as DomainErrorCode, error.message, extra)
  }
  if (error instanceof RequestError) return problem(error.code, error.message)
  if (error instanceof StoreUnavailable) return problem('SERVICE_UNAVAILABLE', error.message)
  const fastifyCode = 'code' in error ? FASTIFY_CODES[String(error.code)] : undefined
  if (fastifyCode === 'UNSUPPORTED_MEDIA_TYPE') return problem(fastifyCode, 'Send the body as application/json')
  if (fastifyCode === 'PAYLOAD_TOO_LARGE') return problem(fastifyCode, 'The body must not exceed 64 KiB')
  if (fastifyCode) return problem(fastifyCode, error.message)
  // JSON.parse's SyntaxError, tagged 400 by fastify's content parser.
  if (error instanceof SyntaxError && (error as FastifyError).statusCode === 400) {
    return problem('MALFORMED_JSON', 'The body is not valid JSON')
  }
  const status = (error as FastifyError).statusCode
  if (status !== undefined && status >= 400 && status < 500) return problem('VALIDATION_FAILED', error.message)
  return problem('INTERNAL_ERROR', '')
}

export function sendProblem(reply: FastifyReply, body: ProblemBody): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body)
}

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = toProblem(error)
  if (body.status >= 500) request.log.error({ err: error }, 'request failed')
  return sendProblem(reply, body)
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, problem('ROUTE_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`))
}
