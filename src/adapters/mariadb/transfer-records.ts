import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { AccountId } from '../../domain/account.js'
import type { Transfer } from '../../domain/transfer.js'
import type { HistoryCursor, TransferRecords } from '../../ports/transfer-records.js'
import { translate } from './driver-errors.js'
import type { Database } from './tables.js'

import { rowToTransfer, TRANSFER_COLUMNS, TRANSFER_FIELDS, type TransferRow } from './transfer-rows.js'

export class MariadbTransferRecords implements TransferRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async find(transferId: string): Promise<Transfer | undefined> {
    try {
      const row = await this.db.selectFrom('transfers').select(TRANSFER_FIELDS).where('transfer_id', '=', transferId).executeTakeFirst()
      return row && rowToTransfer(row)
    } catch (error) {
      throw translate(error)
    }
  }

  async lastAt(accountId: AccountId, at: Date): Promise<Transfer | undefined> {
    try {
      const { rows } = await this.newest(accountId, 1, sql`AND created_at <= ${at}`).execute(this.db)
      return rows[0] && rowToTransfer(rows[0])
    } catch (error) {
      throw translate(error)
    }
  }

  async listExpired(at: Date, limit: number): Promise<Transfer[]> {
    try {
      // transfers_expiring: a range of (status, expires_at), oldest first, that stops after `limit` rows.
      const rows = await this.db
        .selectFrom('transfers')
        .select(TRANSFER_FIELDS)
        .where('status', '=', 'pending')
        .where('expires_at', '<=', at)
        .orderBy('expires_at')
        .limit(limit)
        .execute()
      return rows.map(rowToTransfer)
    } catch (error) {
      throw translate(error)
    }
  }

  async listByAccount(accountId: AccountId, limit: number, after?: HistoryCursor): Promise<Transfer[]> {
    try {
      const { rows } = await this.pageQuery(accountId, limit, after).execute(this.db)
      return rows.map(rowToTransfer)
    } catch (error) {
      throw translate(error)
    }
  }

  /**
   * One branch per direction, each a backward range scan of its own index (transfers_by_source,
   * transfers_by_destination) that stops after `limit` rows; the union of at most 2 × limit rows
   * is then cut to `limit`. Parenthesised, because each branch has its own ORDER BY and LIMIT.
   * An opening entry (source = destination) is found by the destination branch only.
   */
  pageQuery(accountId: AccountId, limit: number, after?: HistoryCursor): RawBuilder<TransferRow> {
    const older = after
      ? sql`AND (created_at < ${after.createdAt} OR (created_at = ${after.createdAt} AND transfer_id < ${after.transferId}))`
      : sql``
    return this.newest(accountId, limit, older)
  }

  /** The account's newest `limit` records that match `condition`, newest first (see pageQuery). */
  private newest(accountId: AccountId, limit: number, condition: RawBuilder<unknown>): RawBuilder<TransferRow> {
    const branch = (column: 'source_account_id' | 'destination_account_id', opening: RawBuilder<unknown>) => sql`(
      SELECT ${sql.raw(TRANSFER_COLUMNS)} FROM transfers
      WHERE ${sql.ref(column)} = ${accountId} ${condition} ${opening}
      ORDER BY created_at DESC, transfer_id DESC LIMIT ${limit})`
    return sql<TransferRow>`SELECT * FROM (${branch('source_account_id', sql`AND status <> 'opening'`)} UNION ALL ${branch('destination_account_id', sql``)}) AS page
      ORDER BY created_at DESC, transfer_id DESC LIMIT ${limit}`
  }
}
