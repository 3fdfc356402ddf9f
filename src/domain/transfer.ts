import type { Account, AccountId } from './account.js'
import { BalanceLimitExceeded, type DomainError, InsufficientFunds, InvalidAmount, SameAccount } from './errors.js'
import type { Money } from './money.js'

export interface Transfer {
  readonly id: string
  readonly sourceAccountId: AccountId
  readonly destinationAccountId: AccountId
  readonly amount: Money
  readonly createdAt: Date
  /** The id of the API key that made it; null when authentication was off. */
  readonly createdBy: string | null
}

/** Refuses a transfer that no account state could make valid; undefined when it may go ahead. */
export function checkTransferRequest(source: AccountId, destination: AccountId, amount: Money): DomainError | undefined {
  if (source === destination) return new SameAccount(source)
  if (amount.isZero()) return new InvalidAmount('amount must be greater than zero')
  return undefined
}

/**
 * Moves `amount` from `source` to `destination`: both accounts as they will be committed, new
 * balances and each version one higher, or the refusal when the money is not there or the credit
 * would not fit DECIMAL(38,18). Pure.
 */
export function moveMoney(
  source: Account,
  destination: Account,
  amount: Money,
): { source: Account; destination: Account } | DomainError {
  const invalid = checkTransferRequest(source.id, destination.id, amount)
  if (invalid) return invalid
  if (source.balance.isLessThan(amount)) return new InsufficientFunds(source.id)
  const credited = destination.balance.plus(amount)
  if (credited.exceedsLimit()) return new BalanceLimitExceeded(destination.id)
  return {
    source: { id: source.id, balance: source.balance.minus(amount), version: source.version + 1 },
    destination: { id: destination.id, balance: credited, version: destination.version + 1 },
  }
}

/** Which way a transfer moved money, seen from one of its two accounts. */
export type Direction = 'incoming' | 'outgoing'

export function directionOf(transfer: Transfer, accountId: AccountId): Direction {
  return transfer.sourceAccountId === accountId ? 'outgoing' : 'incoming'
}
