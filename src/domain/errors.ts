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

export type DomainErrorCode =
  | AccountNotFound['code']
  | TransferNotFound['code']
  | AccountExists['code']
  | InsufficientFunds['code']
  | BalanceLimitExceeded['code']
  | SameAccount['code']
  | InvalidAmount['code']
