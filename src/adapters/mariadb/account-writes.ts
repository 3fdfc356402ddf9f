import type { Account, AccountId } from '../../domain/account.js'
import type { AccountChange } from '../../domain/batch.js'
import type { AccountWrites } from '../../ports/unit-of-work.js'
import { ACCOUNT_COLUMNS, type AccountRow, rowToAccount } from './account-rows.js'
import { lockConflictOf } from './driver-errors.js'
import { caseOf, placeholders, type Statement } from './statements.js'
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
    const inserted = changes.filter((change) => change.before === undefined).map((change) => change.after)
    const updated = changes.filter((change): change is AccountChange & { before: Account } => change.before !== undefined)
    if (updated.length > 0) {
      const ids = updated.map((change) => change.after.id)
      const balances = caseOf('account_id', updated, (change) => change.after.id, (change) => change.after.balance.toString())
      const versions = caseOf('account_id', updated, (change) => change.after.id, (change) => change.after.version)
      // Compare-and-set on the locked version: in a transaction the server restarted behind our
      // back, rows that moved on are not overwritten, and the check below finds them missing.
      const lockedVersions = caseOf('account_id', updated, (change) => change.after.id, (change) => change.before.version)
      this.tx.queue({
        statement: {
          sql:
            `UPDATE accounts ${BY_KEY} SET balance = ${balances.sql}, version = ${versions.sql} ` +
            `WHERE account_id IN (${placeholders(ids.length)}) AND version = ${lockedVersions.sql}`,
          parameters: [...balances.parameters, ...versions.parameters, ...ids, ...lockedVersions.parameters],
        },
        check: inState(updated.map((change) => change.after)),
      })
    }
    if (inserted.length > 0) {
      this.tx.queue({
        statement: {
          sql: `INSERT INTO accounts (${ACCOUNT_COLUMNS}) VALUES ${inserted.map(() => '(?, ?, ?)').join(', ')}`,
          parameters: inserted.flatMap((account) => [account.id, account.balance.toString(), account.version]),
        },
        check: inState(inserted),
        witness: {
          count: { sql: `(SELECT COUNT(*) FROM accounts WHERE account_id IN (${placeholders(inserted.length)}))`, parameters: inserted.map((a) => a.id) },
          expected: inserted.length,
        },
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

/** True when every account holds exactly this version and balance. */
function inState(accounts: readonly Account[]): Statement {
  const versions = caseOf('account_id', accounts, (account) => account.id, (account) => account.version)
  const balances = caseOf('account_id', accounts, (account) => account.id, (account) => account.balance.toString())
  return {
    sql:
      `(SELECT COUNT(*) FROM accounts WHERE account_id IN (${placeholders(accounts.length)}) ` +
      // Cast, or MariaDB would compare a DECIMAL with a string as floating point.
      `AND version = ${versions.sql} AND balance = CAST(${balances.sql} AS DECIMAL(38,18))) = ?`,
    parameters: [...accounts.map((account) => account.id), ...versions.parameters, ...balances.parameters, accounts.length],
  }
}

const ascending = (ids: readonly AccountId[]): AccountId[] => [...new Set(ids)].sort((a, b) => a - b)
const byId = (rows: readonly AccountRow[]) => new Map(rows.map((row) => [Number(row.account_id), rowToAccount(row)]))
