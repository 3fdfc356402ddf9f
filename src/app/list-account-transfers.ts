import type { AccountId } from '../domain/account.js'
import { AccountNotFound } from '../domain/errors.js'
import { type Direction, directionOf, type Transfer } from '../domain/transfer.js'
import type { AccountRecords } from '../ports/account-records.js'
import type { HistoryCursor, TransferRecords } from '../ports/transfer-records.js'

export interface HistoryPage {
  items: { transfer: Transfer; direction: Direction }[]
  /** Where the next page starts; undefined on the last page. */
  next: HistoryCursor | undefined
}

export type ListAccountTransfers = (accountId: AccountId, limit: number, after?: HistoryCursor) => Promise<HistoryPage>

/**
 * One page of an account's transfers in both directions, newest first. Keyset pagination: a page
 * starts strictly after the last transfer of the previous one, so transfers committed meanwhile
 * (all newer) neither repeat nor shift anything. Throws AccountNotFound for an unknown account.
 */
export function listAccountTransfers(deps: { accounts: AccountRecords; transfers: TransferRecords }): ListAccountTransfers {
  return async (accountId, limit, after) => {
    // One more than asked tells whether another page exists.
    const found = await deps.transfers.listByAccount(accountId, limit + 1, after)
    if (found.length === 0 && !after && !(await deps.accounts.find(accountId))) throw new AccountNotFound(accountId)
    const page = found.slice(0, limit)
    const last = page.at(-1)
    return {
      items: page.map((transfer) => ({ transfer, direction: directionOf(transfer, accountId) })),
      next: found.length > limit && last ? { createdAt: last.createdAt, transferId: last.id } : undefined,
    }
  }
}
