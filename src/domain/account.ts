import { Money } from './money.js'

/** Account ids are JSON integers from 1 to 2^53−1, so every client language reads them exactly. */
export type AccountId = number

export function isAccountId(value: unknown): value is AccountId {
  return Number.isSafeInteger(value) && (value as number) >= 1
}

/**
 * An account as last committed. `balance` is the posted balance; `pendingDebits` and
 * `pendingCredits` are the sums of its open pending transfers out and in. `version` grows by one
 * with every committed change of any of them, so readers can tell which of two snapshots is newer.
 */
export interface Account {
  readonly id: AccountId
  readonly balance: Money
  readonly pendingDebits: Money
  readonly pendingCredits: Money
  readonly version: number
}

/** What the account may still send: its posted balance less what its pending transfers hold. */
export function availableOf(account: Account): Money {
  return account.balance.minus(account.pendingDebits)
}

/** A new account holding `balance`, with nothing pending. */
export function openedAccount(id: AccountId, balance: Money): Account {
  return { id, balance, pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 }
}
