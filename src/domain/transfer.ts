import type { Account, AccountId } from './account.js'
import { BalanceLimitExceeded, InsufficientFunds, InvalidAmount, SameAccount } from './errors.js'
import type { Money } from './money.js'

export interface Transfer {
  readonly id: string
  readonly sourceAccountId: AccountId
  readonly destinationAccountId: AccountId
  readonly amount: Money
  readonly createdAt: Date
}

/** Rejects a transfer that no account state could make valid. */
export function checkTransferRequest(source: AccountId, destination: AccountId, amount: Money): void {
  if (source === destination) throw new SameAccount(source)
  if (amount.isZero()) throw new InvalidAmount('amount must be greater than zero')
}

/**
 * Moves `amount` from `source` to `destination`, returning both accounts as they will be
 * committed: new balances, each version one higher. Pure; throws instead of going negative
 * or past the storable maximum.
 */
export function applyTransfer(
  source: Account,
  destination: Account,
  amount: Money,
): { source: Account; destination: Account } {
  checkTransferRequest(source.id, destination.id, amount)
  if (source.balance.isLessThan(amount)) throw new InsufficientFunds(source.id)
  const credited = destination.balance.plus(amount)
  if (credited.exceedsLimit()) throw new BalanceLimitExceeded(destination.id)
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
