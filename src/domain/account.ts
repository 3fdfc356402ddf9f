import type { Money } from './money.js'

/** Account ids are JSON integers from 1 to 2^53−1, so every client language reads them exactly. */
export type AccountId = number

export function isAccountId(value: unknown): value is AccountId {
  return Number.isSafeInteger(value) && (value as number) >= 1
}

/**
 * An account as last committed. `version` grows by one with every committed change
 * of the balance, so readers can tell which of two snapshots is newer.
 */
export interface Account {
  readonly id: AccountId
  readonly balance: Money
  readonly version: number
}
