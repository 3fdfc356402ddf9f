import type { AccountId } from './account.js'

/**
 * An error with a stable `code`, part of the public API. Every layer's errors extend it, and the
 * one registry of codes (app/errors.ts) says what each means to a client.
 */
export abstract class CodedError extends Error {
  abstract readonly code: string
}

/** A rule of the domain was broken: a refusal, answered rather than failed. */
export abstract class DomainError extends CodedError {}

export class AccountNotFound extends DomainError {
  readonly code = 'ACCOUNT_NOT_FOUND'
  constructor(readonly accountId: AccountId) {
    super(`Account ${accountId} does not exist`)
  }
}

export class TransferNotFound extends DomainError {
  readonly code = 'TRANSFER_NOT_FOUND'
  constructor(readonly transferId: string) {
    super(`Transfer ${transferId} does not exist`)
  }
}

export class AccountExists extends DomainError {
  readonly code = 'ACCOUNT_EXISTS'
  constructor(readonly accountId: AccountId) {
    super(`Account ${accountId} already exists`)
  }
}

export class InsufficientFunds extends DomainError {
  readonly code = 'INSUFFICIENT_FUNDS'
  constructor(readonly accountId: AccountId) {
    super(`Account ${accountId} has insufficient funds for this transfer`)
  }
}

/** The credit would push a balance past what DECIMAL(38,18) holds; refusing beats rounding. */
export class BalanceLimitExceeded extends DomainError {
  readonly code = 'BALANCE_LIMIT_EXCEEDED'
  constructor(readonly accountId: AccountId) {
    super(`The transfer would take the balance of account ${accountId} past 20 integer digits`)
  }
}

export class SameAccount extends DomainError {
  readonly code = 'SAME_ACCOUNT'
  constructor(readonly accountId: AccountId) {
    super(`Source and destination are both account ${accountId}; a transfer needs two accounts`)
  }
}

export class InvalidAmount extends DomainError {
  readonly code = 'INVALID_AMOUNT'
}

/** A post or void of a pending transfer that a post already resolved. */
export class TransferAlreadyPosted extends DomainError {
  readonly code = 'TRANSFER_ALREADY_POSTED'
  constructor(readonly transferId: string) {
    super(`Transfer ${transferId} was already posted`)
  }
}

/** A post or void of a pending transfer that a void already released. */
export class TransferAlreadyVoided extends DomainError {
  readonly code = 'TRANSFER_ALREADY_VOIDED'
  constructor(readonly transferId: string) {
    super(`Transfer ${transferId} was already voided`)
  }
}

/** A post or void of a pending transfer past its timeout, whether or not the sweep has voided it yet. */
export class TransferExpired extends DomainError {
  readonly code = 'TRANSFER_EXPIRED'
  constructor(readonly transferId: string) {
    super(`Pending transfer ${transferId} has expired; its reservation is released`)
  }
}

export class PostAmountExceedsPending extends DomainError {
  readonly code = 'POST_AMOUNT_EXCEEDS_PENDING'
  constructor(readonly transferId: string) {
    super(`The amount to post is more than pending transfer ${transferId} holds`)
  }
}

/** A post or void of a transfer that was never pending (a plain transfer, or itself a post or void). */
export class NotAPendingTransfer extends DomainError {
  readonly code = 'NOT_A_PENDING_TRANSFER'
  constructor(readonly transferId: string) {
    super(`Transfer ${transferId} is not a pending transfer`)
  }
}

/** The sweep asked to expire a pending transfer before its time (clocks apart); it stays pending. */
export class TransferNotDue extends DomainError {
  readonly code = 'TRANSFER_NOT_DUE'
  constructor(readonly transferId: string) {
    super(`Pending transfer ${transferId} has not reached its timeout`)
  }
}

/** An atomic batch of transfers refused as a whole: item `index` (from 0) broke a rule, and nothing of the batch was applied. */
export class BatchItemRefused extends DomainError {
  readonly code = 'BATCH_ITEM_REFUSED'
  constructor(
    readonly index: number,
    readonly refusal: DomainError,
  ) {
    super(`Item ${index} was refused (${refusal.code}: ${refusal.message}); nothing of the batch was applied`)
  }
}

export type DomainErrorCode =
  | AccountNotFound['code']
  | TransferNotFound['code']
  | AccountExists['code']
  | InsufficientFunds['code']
  | BalanceLimitExceeded['code']
  | SameAccount['code']
  | InvalidAmount['code']
  | TransferAlreadyPosted['code']
  | TransferAlreadyVoided['code']
  | TransferExpired['code']
  | PostAmountExceedsPending['code']
  | NotAPendingTransfer['code']
  | TransferNotDue['code']
  | BatchItemRefused['code']
