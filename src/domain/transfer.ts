import { type Account, type AccountId, availableOf } from './account.js'
import { BalanceLimitExceeded, type DomainError, InsufficientFunds, InvalidAmount, SameAccount } from './errors.js'
import type { Money } from './money.js'

/**
 * `posted`: money moved (a plain transfer, or the post of a pending one). `pending`: reserved, until
 * posted, voided or expired, which it then shows. `voided`: the record of a void (or a pending
 * transfer a void released). `expired`: a pending transfer released at its timeout. `opening`: an
 * account's initial balance (source and destination are both the account), its first entry.
 */
export type TransferStatus = 'posted' | 'pending' | 'voided' | 'expired' | 'opening'

export interface Transfer {
  readonly id: string
  readonly sourceAccountId: AccountId
  readonly destinationAccountId: AccountId
  readonly amount: Money
  readonly createdAt: Date
  /** The id of the API key that made it; null when authentication was off. */
  readonly createdBy: string | null
  readonly status: TransferStatus
  /** For a pending transfer (whatever became of it): when it expires unless posted or voided first; null for every other. */
  readonly expiresAt: Date | null
  /** For the post or void of a pending transfer: the pending transfer it resolved; null for every other. */
  readonly pendingTransferId: string | null
  /** The posted balances this record left on its accounts; null for records older than balance history. */
  readonly sourceBalanceAfter: Money | null
  readonly destinationBalanceAfter: Money | null
}

/** Whether `transfer` was made pending (a reservation), whatever became of it since. */
export function wasPending(transfer: Transfer): boolean {
  return transfer.expiresAt !== null
}

/** Refuses a transfer that no account state could make valid; undefined when it may go ahead. */
export function checkTransferRequest(source: AccountId, destination: AccountId, amount: Money): DomainError | undefined {
  if (source === destination) return new SameAccount(source)
  if (amount.isZero()) return new InvalidAmount('amount must be greater than zero')
  return undefined
}

/**
 * The refusal of moving (or reserving) `amount` from `source` to `destination`, if any: the
 * source's available balance (posted less pending debits) must cover it, and the destination's
 * balance with every pending credit posted must still fit DECIMAL(38,18), so no post can overflow.
 */
function checkMove(source: Account, destination: Account, amount: Money): DomainError | undefined {
  const invalid = checkTransferRequest(source.id, destination.id, amount)
  if (invalid) return invalid
  if (availableOf(source).isLessThan(amount)) return new InsufficientFunds(source.id)
  if (destination.balance.plus(destination.pendingCredits).plus(amount).exceedsLimit()) return new BalanceLimitExceeded(destination.id)
  return undefined
}

/**
 * Moves `amount` from `source` to `destination`: both accounts as they will be committed, new
 * balances and each version one higher, or the refusal when the money is not available or the
 * credit would not fit DECIMAL(38,18). Pure.
 */
export function moveMoney(
  source: Account,
  destination: Account,
  amount: Money,
): { source: Account; destination: Account } | DomainError {
  const refusal = checkMove(source, destination, amount)
  if (refusal) return refusal
  return {
    source: { ...source, balance: source.balance.minus(amount), version: source.version + 1 },
    destination: { ...destination, balance: destination.balance.plus(amount), version: destination.version + 1 },
  }
}

/**
 * Reserves `amount`: the source's pending debits and the destination's pending credits grow by
 * it, posted balances stay. Refused as {@link moveMoney} would refuse moving it. Pure.
 */
export function reserveMoney(
  source: Account,
  destination: Account,
  amount: Money,
): { source: Account; destination: Account } | DomainError {
  const refusal = checkMove(source, destination, amount)
  if (refusal) return refusal
  return {
    source: { ...source, pendingDebits: source.pendingDebits.plus(amount), version: source.version + 1 },
    destination: { ...destination, pendingCredits: destination.pendingCredits.plus(amount), version: destination.version + 1 },
  }
}

/** Which way a transfer moved money, seen from one of its two accounts. */
export type Direction = 'incoming' | 'outgoing'

export function directionOf(transfer: Transfer, accountId: AccountId): Direction {
  return transfer.sourceAccountId === accountId && transfer.status !== 'opening' ? 'outgoing' : 'incoming'
}

/** The posted balance `transfer` left on `accountId`, one of its accounts; null for records older than balance history. */
export function balanceAfter(transfer: Transfer, accountId: AccountId): Money | null {
  return directionOf(transfer, accountId) === 'outgoing' ? transfer.sourceBalanceAfter : transfer.destinationBalanceAfter
}

/** Whether `transfer` moved money: a plain transfer or a post (not a reservation, a void or an opening entry). */
export function movesMoney(transfer: Transfer): boolean {
  return transfer.status === 'posted' && transfer.expiresAt === null
}
