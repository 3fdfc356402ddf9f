import type { AccountId } from '../domain/account.js'
import { AccountNotFound } from '../domain/errors.js'
import type { Money } from '../domain/money.js'
import { balanceAfter } from '../domain/transfer.js'
import type { TransferRecords } from '../ports/transfer-records.js'

export interface BalanceAt {
  accountId: AccountId
  /** The posted balance as of `at`: what the last record at or before it left. */
  balance: Money
  at: Date
}

export type GetBalanceAt = (accountId: AccountId, at: Date) => Promise<BalanceAt>

/**
 * An account's posted balance as of `at`, from its history: the balance its last record at or
 * before `at` left (the opening entry at first), found by one indexed lookup. Throws
 * AccountNotFound before the account existed, and for an instant whose last record is older than
 * balance history (migration 0006), whose balance was not kept.
 */
export function getBalanceAt(deps: { transfers: TransferRecords }): GetBalanceAt {
  return async (accountId, at) => {
    const last = await deps.transfers.lastAt(accountId, at)
    const balance = last && balanceAfter(last, accountId)
    if (!balance) throw new AccountNotFound(accountId)
    return { accountId, balance, at }
  }
}
