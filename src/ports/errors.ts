import { CodedError } from '../domain/errors.js'

/**
 * Why a store could not do its work: `overloaded`, too many requests already wait for it;
 * `unreachable`, it did not answer in time (down, frozen, or too slow for the request's deadline);
 * `contended`, rows the work needs stayed locked by other transactions.
 */
export type UnavailableReason = 'overloaded' | 'unreachable' | 'contended'

/**
 * A port could not do its work in bounded time: the backing service is unreachable, overloaded
 * or kept losing lock races (`reason`, `unreachable` unless said). Nothing was changed unless the
 * caller is told otherwise; retrying later is safe.
 */
export class StoreUnavailable extends CodedError {
  readonly code = 'SERVICE_UNAVAILABLE'
  readonly reason: UnavailableReason
  constructor(message: string, options: ErrorOptions & { reason?: UnavailableReason } = {}) {
    super(message, options)
    this.reason = options.reason ?? 'unreachable'
  }
}

/**
 * The store was asked to commit and the answer was lost: the work may or may not have been
 * committed. Only a retry carrying the same idempotency key can tell the caller which.
 */
export class StoreOutcomeUnknown extends CodedError {
  readonly code = 'COMMIT_OUTCOME_UNKNOWN'
}

export type StoreErrorCode = StoreUnavailable['code'] | StoreOutcomeUnknown['code']

/**
 * A transaction lost to another over locks, and was rolled back whole: nothing it did remains,
 * so the same work may run again. `deadlock`: the database chose it as a deadlock's victim;
 * `lock-wait`: a lock it waited for stayed held past the bound, on what `on` names; `aborted`:
 * the database ended it before its commit (a cluster's certification conflict, say), which the
 * unit of work found out by checking its own writes. Never shown to a client as it is.
 */
export class LockConflict extends Error {
  constructor(
    readonly reason: 'deadlock' | 'lock-wait' | 'aborted',
    readonly on: 'account' | 'idempotency-key' | undefined,
    options?: ErrorOptions,
  ) {
    super(`Transaction lost a lock conflict (${reason}${on ? ` on ${on}` : ''})`, options)
  }
}
