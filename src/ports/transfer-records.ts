import type { AccountId } from '../domain/account.js'
import type { Transfer } from '../domain/transfer.js'

/** A position in an account's history: the transfer last seen, by creation time then id. */
export interface HistoryCursor {
  createdAt: Date
  transferId: string
}

/** Read access to committed transfers. */
export interface TransferRecords {
  find(transferId: string): Promise<Transfer | undefined>

  /**
   * The last record of `accountId` (from or to it, its opening entry included) created at or
   * before `at`, in history order; undefined when there is none (the account did not exist yet).
   * One indexed lookup per direction, however long the history.
   */
  lastAt(accountId: AccountId, at: Date): Promise<Transfer | undefined>

  /** Pending transfers still open whose timeout is at or before `at`, the oldest first; at most `limit`. */
  listExpired(at: Date, limit: number): Promise<Transfer[]>

  /**
   * Transfers from or to `accountId`, newest first (created_at, then transfer_id, descending),
   * strictly older than `after` when given; at most `limit`. The cost does not depend on how far
   * into the history `after` points.
   */
  listByAccount(accountId: AccountId, limit: number, after?: HistoryCursor): Promise<Transfer[]>
}
