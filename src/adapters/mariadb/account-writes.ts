import type { Account, AccountId } from '../../domain/account.js'
import type { AccountChange } from '../../domain/batch.js'
import type { AccountWrites } from '../../ports/unit-of-work.js'
import { ACCOUNT_COLUMNS, type AccountRow, accountValues, rowToAccount } from './account-rows.js'
import { lockConflictOf } from './driver-errors.js'
import { placeholders, type Statement } from './statements.js'
import type { MariadbTransaction } from './transaction.js'

/**
 * The accounts table inside a transaction. Hot-path statements are SQL with placeholders rather
 * than built per call by kysely: they run on every batch, and they are short enough to read.
 */
export class MariadbAccountWrites implements AccountWrites {
  constructor(private readonly tx: MariadbTransaction) {}

  async lock(ids: readonly AccountId[]): Promise<Map<AccountId, Account>> {
    const sorted = ascending(ids)
    if (sorted.length === 0) return new Map()
    const [rows = []] = await this.read<AccountRow>([lockStatement(sorted, '')])
    return byId(rows)
  }

  async lockAvailable(ids: readonly AccountId[]): Promise<{ locked: Map<AccountId, Account>; busy: Set<AccountId> }> {
    const sorted = ascending(ids)
    if (sorted.length === 0) return { locked: new Map(), busy: new Set() }
    // One round trip: which accounts exist (a plain read, which waits for no lock), then those free to lock.
    const [existing = [], rows = []] = await this.read<AccountRow>([
      { sql: `SELECT account_id FROM accounts WHERE account_id IN (${placeholders(sorted.length)})`, parameters: sorted },
      lockStatement(sorted, ' SKIP LOCKED'),
    ])
    const locked = byId(rows)
    const busy = new Set(existing.map((row) => Number(row.account_id)).filter((id) => !locked.has(id)))
    return { locked, busy }
  }

  write(changes: readonly AccountChange[]): void {
    const updated = changes.filter((change) => change.before !== undefined).map((change) => change.after)
    const opened = changes.filter((change) => change.before === undefined)
    if (updated.length > 0) {
      // Rows this transaction has locked, so each finds its duplicate and is updated: one
      // primary-key lookup per row, where an UPDATE … CASE would compare every row with every case.
      this.tx.queue({
        sql:
          `INSERT INTO accounts (${ACCOUNT_COLUMNS}) VALUES ${updated.map(() => '(?, ?, ?, ?, ?)').join(', ')} ON DUPLICATE KEY UPDATE ` +
          'balance = VALUES(balance), pending_debits = VALUES(pending_debits), pending_credits = VALUES(pending_credits), version = VALUES(version)',
        parameters: updated.flatMap(accountValues),
      })
    }
    if (opened.length > 0) {
      // A plain INSERT: an id someone else opened meanwhile fails the batch rather than being overwritten.
      this.tx.queue({
        sql: `INSERT INTO accounts (${ACCOUNT_COLUMNS}, created_by) VALUES ${opened.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
        parameters: opened.flatMap(({ after, createdBy }) => [...accountValues(after), createdBy ?? null]),
      })
    }
  }

  private async read<R>(statements: Statement[]): Promise<R[][]> {
    try {
      return await this.tx.read<R>(statements)
    } catch (error) {
      throw lockConflictOf(error, 'account') ?? error
    }
  }
}

/**
 * Every statement that locks rows names the primary key: on a small table the optimizer would
 * rather scan it, and a scan locks every row it passes, so two batches with no account in common
 * would deadlock each other.
 */
const BY_KEY = 'FORCE INDEX (PRIMARY)'

/** One statement; InnoDB walks the primary key in ascending order, so locks are taken in that order. */
function lockStatement(ids: readonly AccountId[], modifier: string): Statement {
  return {
    sql: `SELECT ${ACCOUNT_COLUMNS} FROM accounts ${BY_KEY} WHERE account_id IN (${placeholders(ids.length)}) ORDER BY account_id FOR UPDATE${modifier}`,
    parameters: ids,
  }
}

const ascending = (ids: readonly AccountId[]): AccountId[] => [...new Set(ids)].sort((a, b) => a - b)
const byId = (rows: readonly AccountRow[]) => new Map(rows.map((row) => [Number(row.account_id), rowToAccount(row)]))
