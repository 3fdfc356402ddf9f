import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { AccountId } from '../../domain/account.js'
import { Money } from '../../domain/money.js'
import type { Transfer } from '../../domain/transfer.js'
import type { HistoryCursor, TransferRecords } from '../../ports/transfer-records.js'
import { translate } from './driver-errors.js'
import type { Database, TransfersTable } from './tables.js'

type TransferRow = Pick<TransfersTable, 'transfer_id' | 'source_account_id' | 'destination_account_id' | 'amount' | 'created_by'> & {
  created_at: Date
}

const COLUMNS = ['transfer_id', 'source_account_id', 'destination_account_id', 'amount', 'created_at', 'created_by'] as const

function rowToTransfer(row: TransferRow): Transfer {
  const amount = Money.parse(row.amount)
  if (!amount) throw new Error(`Transfer ${row.transfer_id} holds an amount that is not valid`)
  return {
    id: row.transfer_id,
    sourceAccountId: Number(row.source_account_id),
    destinationAccountId: Number(row.destination_account_id),
    amount,
    createdAt: row.created_at,
    createdBy: row.created_by,
  }
}

export class MariadbTransferRecords implements TransferRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async find(transferId: string): Promise<Transfer | undefined> {
    try {
      const row = await this.db.selectFrom('transfers').select(COLUMNS).where('transfer_id', '=', transferId).executeTakeFirst()
      return row && rowToTransfer(row)
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
   */
  pageQuery(accountId: AccountId, limit: number, after?: HistoryCursor): RawBuilder<TransferRow> {
    const older = after
      ? sql`AND (created_at < ${after.createdAt} OR (created_at = ${after.createdAt} AND transfer_id < ${after.transferId}))`
      : sql``
    const branch = (column: 'source_account_id' | 'destination_account_id') => sql`(
      SELECT transfer_id, source_account_id, destination_account_id, amount, created_at, created_by FROM transfers
      WHERE ${sql.ref(column)} = ${accountId} ${older}
      ORDER BY created_at DESC, transfer_id DESC LIMIT ${limit})`
    return sql<TransferRow>`SELECT * FROM (${branch('source_account_id')} UNION ALL ${branch('destination_account_id')}) AS page
      ORDER BY created_at DESC, transfer_id DESC LIMIT ${limit}`
  }
}
