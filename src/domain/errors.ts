import type { AccountId } from './account.js'

/** A rule of the domain was broken; `code` is stable and part of the public API. */
export abstract class DomainError extends Error {
  abstract readonly code: string
}

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

export type DomainErrorCode =
  | AccountNotFound['code']
  | TransferNotFound['code']
  | AccountExists['code']
  | InsufficientFunds['code']
  | BalanceLimitExceeded['code']
  | SameAccount['code']
  | InvalidAmount['code']
