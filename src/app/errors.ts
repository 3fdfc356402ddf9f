import { CodedError, type DomainErrorCode } from '../domain/errors.js'
import { StoreUnavailable, type StoreErrorCode, type UnavailableReason } from '../ports/errors.js'

/** The key was used before for a different request. */
export class IdempotencyKeyReused extends CodedError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED'
}

/** Another request holding the same idempotency key is still running. */
export class IdempotencyKeyInUse extends CodedError {
  readonly code = 'IDEMPOTENCY_KEY_IN_USE'
}

/** No valid API key came with a request that needs one (missing, malformed, unknown, wrong or revoked). */
export class Unauthenticated extends CodedError {
  readonly code = 'UNAUTHENTICATED'
}

/** The key is valid but lacks the scope the route needs. */
export class InsufficientScope extends CodedError {
  readonly code = 'INSUFFICIENT_SCOPE'
  constructor(readonly scope: string) {
    super(`This API key lacks the scope ${scope}`)
  }
}

/** The key may not open or debit this account. Reads of it answer as if it did not exist instead. */
export class AccountForbidden extends CodedError {
  readonly code = 'ACCOUNT_FORBIDDEN'
  constructor(readonly accountId: number) {
    super(`This API key may not open or debit account ${accountId}`)
  }
}

/** The caller's token bucket is empty. */
export class RateLimited extends CodedError {
  readonly code = 'RATE_LIMITED'
}

/** Codes the HTTP adapter gives requests it refuses before any use case runs, and faults it cannot name. */
type RequestErrorCode =
  | 'VALIDATION_FAILED'
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'INTERNAL_ERROR'

export type ErrorCode =
  | DomainErrorCode
  | StoreErrorCode
  | IdempotencyKeyReused['code']
  | IdempotencyKeyInUse['code']
  | Unauthenticated['code']
  | InsufficientScope['code']
  | AccountForbidden['code']
  | RateLimited['code']
  | RequestErrorCode

export interface ErrorSpec {
  /** The HTTP status that answers it. */
  status: number
  title: string
  /**
   * `client`: the request cannot succeed as sent, or not yet; an answer, not a failure (traces
   * keep the span status unset). `server`: the service failed; the detail sent is masked.
   */
  fault: 'client' | 'server'
  /**
   * Whether a request refused with this code keeps its answer under its Idempotency-Key, to be
   * replayed to every retry. Business outcomes are kept; an invalid request, a key conflict and a
   * failure are not, so that a corrected request or a retry after the outage still runs.
   */
  kept: boolean
}

/** The one registry of error codes, read by the HTTP error handler, the span wrapper and idempotency. */
export const ERRORS: Readonly<Record<ErrorCode, Readonly<ErrorSpec>>> = {
  VALIDATION_FAILED: { status: 400, title: 'Invalid request', fault: 'client', kept: false },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON body', fault: 'client', kept: false },
  INVALID_AMOUNT: { status: 400, title: 'Invalid amount', fault: 'client', kept: false },
  SAME_ACCOUNT: { status: 400, title: 'Source and destination are the same account', fault: 'client', kept: false },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required', fault: 'client', kept: false },
  INSUFFICIENT_SCOPE: { status: 403, title: 'Scope missing', fault: 'client', kept: false },
  ACCOUNT_FORBIDDEN: { status: 403, title: 'Account not allowed', fault: 'client', kept: false },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route', fault: 'client', kept: false },
  ACCOUNT_NOT_FOUND: { status: 404, title: 'Account not found', fault: 'client', kept: true },
  TRANSFER_NOT_FOUND: { status: 404, title: 'Transfer not found', fault: 'client', kept: true },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', fault: 'client', kept: false },
  ACCOUNT_EXISTS: { status: 409, title: 'Account already exists', fault: 'client', kept: true },
  TRANSFER_ALREADY_POSTED: { status: 409, title: 'Transfer already posted', fault: 'client', kept: true },
  TRANSFER_ALREADY_VOIDED: { status: 409, title: 'Transfer already voided', fault: 'client', kept: true },
  TRANSFER_EXPIRED: { status: 409, title: 'Pending transfer expired', fault: 'client', kept: true },
  TRANSFER_NOT_DUE: { status: 409, title: 'Pending transfer not yet due', fault: 'client', kept: false },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'Idempotency key in use', fault: 'client', kept: false },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body too large', fault: 'client', kept: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', fault: 'client', kept: false },
  INSUFFICIENT_FUNDS: { status: 422, title: 'Insufficient funds', fault: 'client', kept: true },
  BALANCE_LIMIT_EXCEEDED: { status: 422, title: 'Balance limit exceeded', fault: 'client', kept: true },
  BATCH_ITEM_REFUSED: { status: 422, title: 'Batch item refused', fault: 'client', kept: true },
  POST_AMOUNT_EXCEEDS_PENDING: { status: 422, title: 'Post amount above the pending amount', fault: 'client', kept: true },
  NOT_A_PENDING_TRANSFER: { status: 422, title: 'Not a pending transfer', fault: 'client', kept: true },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused', fault: 'client', kept: false },
  RATE_LIMITED: { status: 429, title: 'Too many requests', fault: 'client', kept: false },
  INTERNAL_ERROR: { status: 500, title: 'Internal error', fault: 'server', kept: false },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable', fault: 'server', kept: false },
  COMMIT_OUTCOME_UNKNOWN: { status: 503, title: 'Outcome unknown', fault: 'server', kept: false },
}

/**
 * Seconds a client should wait before retrying a 503 (its `Retry-After`), by what caused it: a
 * full queue and locked rows clear in about a second; a database that does not answer takes
 * longer to come back; a lost COMMIT answer is best settled soon by a keyed retry.
 */
export const RETRY_AFTER_S: Readonly<Record<UnavailableReason | 'outcome-unknown', number>> = {
  overloaded: 1,
  contended: 1,
  unreachable: 2,
  'outcome-unknown': 1,
}

/** The `Retry-After` of an error answered 503, or undefined for any other. */
export function retryAfterOf(error: unknown): number | undefined {
  const code = codeOf(error)
  if (code === undefined || ERRORS[code].status !== 503) return undefined
  return RETRY_AFTER_S[error instanceof StoreUnavailable ? error.reason : code === 'COMMIT_OUTCOME_UNKNOWN' ? 'outcome-unknown' : 'unreachable']
}

/** The registered code of `error`, or undefined for anything else (a bug, a driver error…), which is a server fault. */
export function codeOf(error: unknown): ErrorCode | undefined {
  return error instanceof CodedError && Object.hasOwn(ERRORS, error.code) ? (error.code as ErrorCode) : undefined
}

/** Whether `error` is the client's to correct or wait out (a refusal) rather than a failure of the service. */
export function isClientFault(error: unknown): boolean {
  const code = codeOf(error)
  return code !== undefined && ERRORS[code].fault === 'client'
}
