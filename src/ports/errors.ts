import { CodedError } from '../domain/errors.js'

/**
 * A port could not do its work in bounded time: the backing service is unreachable, overloaded
 * or kept losing lock races. Nothing was changed unless the caller is told otherwise; retrying
 * later is safe.
 */
export class StoreUnavailable extends CodedError {
  readonly code = 'SERVICE_UNAVAILABLE'
}

/**
 * The store was asked to commit and the answer was lost: the work may or may not have been
 * committed. Only a retry carrying the same idempotency key can tell the caller which.
 */
export class StoreOutcomeUnknown extends CodedError {
  readonly code = 'COMMIT_OUTCOME_UNKNOWN'
}

/** An idempotency key was committed earlier; its record holds the response to replay. */
export class IdempotencyKeyTaken extends CodedError {
  readonly code = 'IDEMPOTENCY_KEY_TAKEN'
}

/** Another request holding the same idempotency key is still running. */
export class IdempotencyKeyInUse extends CodedError {
  readonly code = 'IDEMPOTENCY_KEY_IN_USE'
}

export type StoreErrorCode =
  | StoreUnavailable['code']
  | StoreOutcomeUnknown['code']
  | IdempotencyKeyInUse['code']
