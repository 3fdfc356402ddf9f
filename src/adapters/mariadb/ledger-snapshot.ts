import { type Kysely, sql } from 'kysely'
import type { AccountId } from '../../domain/account.js'
import { Money } from '../../domain/money.js'
import type { AuditedAccount, AuditedTransfer, LedgerSnapshot, SnapshotReader } from '../../ports/ledger-snapshot.js'
import { translate } from './driver-errors.js'
import type { Database } from './tables.js'

/**
 * One connection in a READ ONLY transaction started WITH CONSISTENT SNAPSHOT: InnoDB serves
 * every read from the same read view, without locking a row, however long the audit takes (at
 * the price of keeping old row versions for that long). Pages are primary-key ranges.
 */
export class MariadbSnapshotReader implements SnapshotReader {
  constructor(private readonly db: Kysely<Database>) {}

  async read<T>(work: (snapshot: LedgerSnapshot) => Promise<T>): Promise<T> {
    try {
      return await this.db.connection().execute(async (connection) => {
        await sql`SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ`.execute(connection)
        await sql`START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`.execute(connection)
        try {
          return await work({
            accounts: async (after: AccountId, limit: number): Promise<AuditedAccount[]> => {
              const { rows } = await sql<{ account_id: number; version: number; balance: string; pending_debits: string; pending_credits: string }>`
                SELECT account_id, version, balance, pending_debits, pending_credits FROM accounts
                WHERE account_id > ${after} ORDER BY account_id LIMIT ${limit}`.execute(connection)
              return rows.map((row) => ({
                id: Number(row.account_id),
                version: Number(row.version),
                balance: Money.parse(row.balance),
                pendingDebits: Money.parse(row.pending_debits),
                pendingCredits: Money.parse(row.pending_credits),
              }))
            },
            transfers: async (after: string, limit: number): Promise<AuditedTransfer[]> => {
              const { rows } = await sql<{ transfer_id: string; source_account_id: number; destination_account_id: number; amount: string; status: AuditedTransfer['status']; was_pending: number }>`
                SELECT transfer_id, source_account_id, destination_account_id, amount, status, expires_at IS NOT NULL AS was_pending FROM transfers
                WHERE transfer_id > ${after} ORDER BY transfer_id LIMIT ${limit}`.execute(connection)
              return rows.map((row) => ({
                id: row.transfer_id,
                sourceAccountId: Number(row.source_account_id),
                destinationAccountId: Number(row.destination_account_id),
                amount: Money.parse(row.amount),
                status: row.status,
                wasPending: Number(row.was_pending) === 1,
              }))
            },
          })
        } finally {
          await sql`ROLLBACK`.execute(connection)
        }
      })
    } catch (error) {
      throw translate(error)
    }
  }
}
