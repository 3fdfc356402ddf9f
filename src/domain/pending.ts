import type { Account } from './account.js'
import {
  type DomainError,
  NotAPendingTransfer,
  PostAmountExceedsPending,
  TransferAlreadyPosted,
  TransferAlreadyVoided,
  TransferExpired,
  TransferNotDue,
} from './errors.js'
import { Money } from './money.js'
import type { Transfer } from './transfer.js'

/** Shortest and longest timeout of a pending transfer, in seconds (1 s to 7 days). */
export const MIN_TIMEOUT_S = 1
export const MAX_TIMEOUT_S = 7 * 86_400
/** How long a pending transfer holds its amount when the request names no timeout: one day. */
export const DEFAULT_TIMEOUT_S = 86_400

/**
 * The refusal of posting or voiding `transfer` at `at`, if any. A pending transfer past its
 * timeout is expired here already, whether or not the sweep has released it yet.
 */
export function checkResolvable(transfer: Transfer, at: Date): DomainError | undefined {
  if (transfer.expiresAt === null) return new NotAPendingTransfer(transfer.id)
  if (transfer.status === 'posted') return new TransferAlreadyPosted(transfer.id)
  if (transfer.status === 'voided') return new TransferAlreadyVoided(transfer.id)
  if (transfer.status === 'expired' || at.getTime() >= transfer.expiresAt.getTime()) return new TransferExpired(transfer.id)
  return undefined
}

/** The refusal of expiring `transfer` at `at`: only a pending transfer at or past its timeout expires. */
export function checkExpirable(transfer: Transfer, at: Date): DomainError | undefined {
  const refusal = checkResolvable(transfer, at)
  if (refusal instanceof TransferExpired && transfer.status === 'pending') return undefined
  return refusal ?? new TransferNotDue(transfer.id)
}

/** The amount a post moves: all of the pending amount, or `requested` when it is not more. */
export function postedAmount(transfer: Transfer, requested: Money | undefined): Money | DomainError {
  if (requested === undefined) return transfer.amount
  if (transfer.amount.isLessThan(requested)) return new PostAmountExceedsPending(transfer.id)
  return requested
}

/**
 * Ends the reservation of pending `transfer` on its two accounts (which it checked with
 * checkResolvable): both pending totals drop by the pending amount, and `posted` (zero for a void
 * or an expiry) moves from the source's balance to the destination's. Each version one higher.
 */
export function release(
  transfer: Transfer,
  source: Account,
  destination: Account,
  posted: Money = Money.ZERO,
): { source: Account; destination: Account } {
  return {
    source: {
      ...source,
      balance: source.balance.minus(posted),
      pendingDebits: source.pendingDebits.minus(transfer.amount),
      version: source.version + 1,
    },
    destination: {
      ...destination,
      balance: destination.balance.plus(posted),
      pendingCredits: destination.pendingCredits.minus(transfer.amount),
      version: destination.version + 1,
    },
  }
}
