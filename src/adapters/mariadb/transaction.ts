import { LockConflict, StoreOutcomeUnknown } from '../../ports/errors.js'
import { isServerError, isWriteCheckFailure, WRITE_CHECK_FAILED } from './driver-errors.js'
import type { Statement } from './statements.js'

/** The part of a pooled mysql2 connection a transaction uses. */
export interface QueryConnection {
  query(sql: string, parameters: unknown, callback: (error: unknown, result: unknown) => void): unknown
}

/** A write queued for the commit, and how to tell that its effect is in place. */
export interface QueuedWrite {
  statement: Statement
  /** A boolean SQL expression that holds once the write's effect is in place; checked just before COMMIT. */
  check: Statement
  /**
   * A count of rows that exist only if the write committed (rows it inserted or marked, by keys
   * nobody else writes), with the count expected; read just after COMMIT.
   */
  witness?: { count: Statement; expected: number }
}

/**
 * A transaction on one connection that spends as few round trips as it can and never trusts an
 * OK blindly. It runs with `autocommit = 0` rather than START TRANSACTION: should the server end
 * the transaction early (a Galera cluster aborting it for a conflicting write from another node),
 * the statements that follow start a new transaction instead of committing one by one, so nothing
 * is half-applied. Queued writes travel with the COMMIT, in one packet:
 *
 *   <writes>; SELECT <checks> INTO @write_check; IF … THEN SIGNAL …; END IF;
 *   COMMIT; SELECT <witnesses>; SET autocommit = 1
 *
 * The checks read back every write's effect inside the transaction, so a transaction that lost
 * any of them (an abort before the check) signals and is rolled back; the witnesses read rows only
 * a committed transaction leaves, so a COMMIT that committed nothing (an abort between the check
 * and the COMMIT) is found out too. Either is reported as LockConflict('aborted'): nothing of the
 * transaction remains, and its work may run again. MariaDB stops a multi-statement at its first
 * error, so nothing after a failed statement runs; a lost connection after the packet was sent
 * makes the outcome unknown (StoreOutcomeUnknown). Needs a pool with `multipleStatements`.
 */
export class MariadbTransaction {
  private begun = false
  private finished = false
  private readonly queued: QueuedWrite[] = []

  constructor(private readonly connection: QueryConnection) {}

  /** Sends `statements` in one round trip (the first opens the transaction) and returns the rows of each. */
  async read<R>(statements: readonly Statement[]): Promise<R[][]> {
    const first = !this.begun
    // Set before sending: if the statement fails after the transaction began, rollback() must still be sent.
    this.begun = true
    const results = await this.send(first ? [AUTOCOMMIT_OFF, ...statements] : statements)
    return (first ? results.slice(1) : results) as R[][]
  }

  /** Queues a write to travel with the COMMIT. */
  queue(write: QueuedWrite): void {
    this.queued.push(write)
  }

  /**
   * Sends the queued writes, their checks, COMMIT and the witnesses together, and resolves once
   * the commit is known to have taken effect. Throws LockConflict('aborted') when the checks or
   * the witnesses show it did not (nothing remains), a server error as it is (nothing after it
   * ran; the caller rolls back), or StoreOutcomeUnknown when the answer was lost.
   */
  async commit(): Promise<void> {
    if (this.finished || (!this.begun && this.queued.length === 0)) return
    const statements = this.begun ? [] : [AUTOCOMMIT_OFF]
    statements.push(...this.queued.map((write) => write.statement))
    if (this.queued.length > 0) statements.push(...guard(this.queued.map((write) => write.check)))
    statements.push(COMMIT)
    const witnesses = this.queued.flatMap((write) => (write.witness ? [write.witness] : []))
    if (witnesses.length > 0) statements.push(witnessQuery(witnesses))
    statements.push(AUTOCOMMIT_ON)
    this.begun = true

    let results: unknown[]
    try {
      results = await this.send(statements)
    } catch (error) {
      if (!isServerError(error)) {
        this.finished = true
        throw new StoreOutcomeUnknown('The commit was sent but its answer was lost', { cause: error })
      }
      if (isWriteCheckFailure(error)) throw new LockConflict('aborted', undefined, { cause: error })
      throw error
    }
    this.finished = true
    if (witnesses.length === 0) return
    const rows = results.at(-2) as { present: number | string }[]
    const present = Number(rows[0]?.present)
    const expected = witnesses.reduce((sum, witness) => sum + witness.expected, 0)
    if (present === expected) return
    if (present === 0) throw new LockConflict('aborted', undefined, { cause: new Error('the COMMIT committed none of the writes') })
    throw new StoreOutcomeUnknown(`The commit left ${present} of the ${expected} rows it wrote`)
  }

  /**
   * Rolls back if anything was sent and not committed, and restores autocommit for the next user
   * of the connection. Resolves false when that could not be done: the connection must then be
   * destroyed rather than reused.
   */
  async rollback(): Promise<boolean> {
    if (!this.begun || this.finished) return true
    this.finished = true
    return this.send([ROLLBACK, AUTOCOMMIT_ON]).then(
      () => true,
      () => false,
    )
  }

  private send(statements: readonly Statement[]): Promise<unknown[]> {
    const sql = statements.map((statement) => statement.sql).join(';\n')
    const parameters = statements.flatMap((statement) => statement.parameters)
    return new Promise((resolve, reject) => {
      this.connection.query(sql, parameters, (error, result) => {
        if (error) reject(error)
        // mysql2 answers a multi-statement with one result per statement, a single one with its own.
        else resolve(statements.length > 1 ? (result as unknown[]) : [result])
      })
    })
  }
}

/**
 * Reads whether every check holds, then signals unless they do, which stops the packet before
 * the COMMIT. SELECT … INTO is a plain (consistent) read; a subquery in IF itself would be a
 * locking read, taking shared locks on rows it passes that other transactions hold.
 */
function guard(checks: readonly Statement[]): Statement[] {
  return [
    { sql: `SELECT (${checks.map((check) => check.sql).join(' AND ')}) INTO @write_check`, parameters: checks.flatMap((check) => check.parameters) },
    { sql: `IF @write_check IS NOT TRUE THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${WRITE_CHECK_FAILED}'; END IF`, parameters: [] },
  ]
}

function witnessQuery(witnesses: readonly { count: Statement }[]): Statement {
  return {
    sql: `SELECT ${witnesses.map((witness) => witness.count.sql).join(' + ')} AS present`,
    parameters: witnesses.flatMap((witness) => witness.count.parameters),
  }
}

const AUTOCOMMIT_OFF: Statement = { sql: 'SET autocommit = 0', parameters: [] }
const AUTOCOMMIT_ON: Statement = { sql: 'SET autocommit = 1', parameters: [] }
const COMMIT: Statement = { sql: 'COMMIT', parameters: [] }
const ROLLBACK: Statement = { sql: 'ROLLBACK', parameters: [] }
