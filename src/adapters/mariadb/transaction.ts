import { LockConflict, StoreOutcomeUnknown } from '../../ports/errors.js'
import { isServerError, isWriteCheckFailure, WRITE_CHECK_FAILED } from './driver-errors.js'
import type { Statement } from './statements.js'

/** The part of a pooled mysql2 connection a transaction uses. */
export interface QueryConnection {
  /** `timeout` (ms): the answer's wait; a BoundedPool's connection then destroys itself. */
  query(sql: string | { sql: string; timeout: number }, parameters: unknown, callback: (error: unknown, result: unknown) => void): unknown
}

/** Each session's temporary table of one row, created by the first transaction of the session. */
const WRITE_MARKER = 'write_marker'

/** Unique per transaction in this process, so a session's marker from an earlier one never passes for it. */
let lastToken = 0

/**
 * A transaction on one connection that spends as few round trips as it can and never trusts an
 * OK blindly. It runs with `autocommit = 0` rather than START TRANSACTION: should the server end
 * the transaction early (a Galera cluster aborting it for a conflicting write from another node),
 * the statements that follow start a new transaction instead of committing one by one, so nothing
 * is half-applied. Its first statement marks it: the session's temporary InnoDB table
 * `write_marker` takes a token of this transaction's own, and that row is rolled back with
 * everything else if the transaction is ended behind our back. Queued writes travel with COMMIT:
 *
 *   <writes>; IF (SELECT COUNT(*) … token) <> 1 THEN SIGNAL …; END IF;
 *   COMMIT; SELECT COUNT(*) … token; SET autocommit = 1
 *
 * The check before COMMIT finds the marker gone when the transaction ended before it (the writes
 * after that ran in a transaction of their own, which the SIGNAL stops and the rollback undoes);
 * the read after COMMIT finds it gone when the transaction ended between the check and the COMMIT
 * (which then committed nothing). Either is reported as LockConflict('aborted'): nothing of the
 * transaction remains, and its work may run again. The marker costs the same for a batch of one
 * write or a thousand. MariaDB stops a multi-statement at its first error, so nothing after a
 * failed statement runs; a lost connection after the packet was sent makes the outcome unknown
 * (StoreOutcomeUnknown). Needs a pool with `multipleStatements`.
 */
export class MariadbTransaction {
  private begun = false
  private finished = false
  private readonly queued: Statement[] = []
  private readonly token = ++lastToken
  private markerMade: boolean

  /**
   * `marked`: whether the session has its marker table already (an earlier transaction made it).
   * `deadline` (a `performance.now()` instant): answers are cut to it, and lock waits too, from
   * the session's `lockWaitSeconds`.
   */
  constructor(
    private readonly connection: QueryConnection,
    marked: boolean,
    private readonly deadline?: number,
    private readonly lockWaitSeconds?: number,
  ) {
    this.markerMade = marked
  }

  /** Whether the session has its marker table now, for the transactions that follow on it. */
  get sessionMarked(): boolean {
    return this.markerMade
  }

  /** Sends `statements` in one round trip (the first opens and marks the transaction) and returns the rows of each. */
  async read<R>(statements: readonly Statement[]): Promise<R[][]> {
    const opening = this.opening()
    // Set before sending: if the statement fails after the transaction began, rollback() must still be sent.
    this.begun = true
    const results = await this.send([...opening, ...statements.map((statement) => this.lockBounded(statement))])
    this.markerMade = true
    return results.slice(opening.length) as R[][]
  }

  /** Queues a write to travel with the COMMIT. */
  queue(write: Statement): void {
    this.queued.push(write)
  }

  /**
   * Sends the queued writes, the marker check, COMMIT and the marker read together, and resolves
   * once the commit is known to have taken effect. Throws LockConflict('aborted') when the marker
   * shows it did not (nothing remains), a server error as it is (nothing after it ran; the caller
   * rolls back), or StoreOutcomeUnknown when the answer was lost.
   */
  async commit(): Promise<void> {
    if (this.finished || (!this.begun && this.queued.length === 0)) return
    const marked = `SELECT COUNT(*) AS marked FROM ${WRITE_MARKER} WHERE id = 1 AND token = ?`
    const statements = [
      ...this.opening(),
      ...this.queued,
      // A subquery in IF is a locking read, harmless here: the table is this session's own.
      { sql: `IF (${marked}) <> 1 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${WRITE_CHECK_FAILED}'; END IF`, parameters: [this.token] },
      COMMIT,
      { sql: marked, parameters: [this.token] },
      AUTOCOMMIT_ON,
    ]
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
    this.markerMade = true
    const [row] = results.at(-2) as { marked: number | string }[]
    if (Number(row?.marked) !== 1) throw new LockConflict('aborted', undefined, { cause: new Error('the COMMIT committed none of the writes') })
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

  /**
   * With a deadline, `statement` waits for locks only as many whole seconds as are left (at least
   * one: with 0, MariaDB 10.11 was seen failing the COMMIT of a transaction that skipped locked
   * rows), so that a lock held elsewhere ends as a lock-wait conflict, which the caller can work
   * around, rather than as a statement timeout.
   */
  private lockBounded(statement: Statement): Statement {
    if (this.deadline === undefined || this.lockWaitSeconds === undefined) return statement
    // 200 ms to spare, so that the lock wait ends before the answer's wait does.
    const seconds = Math.max(1, Math.min(this.lockWaitSeconds, Math.floor((this.deadline - performance.now() - 200) / 1000)))
    return { sql: `SET STATEMENT innodb_lock_wait_timeout = ${seconds} FOR ${statement.sql}`, parameters: statement.parameters }
  }

  /** What opens the transaction, for the first packet sent. */
  private opening(): Statement[] {
    if (this.begun) return []
    // CREATE TEMPORARY TABLE does not end a transaction; it comes first so that it is not in one.
    const table = this.markerMade ? [] : [CREATE_MARKER]
    return [...table, AUTOCOMMIT_OFF, { sql: `REPLACE INTO ${WRITE_MARKER} (id, token) VALUES (1, ?)`, parameters: [this.token] }]
  }

  private send(statements: readonly Statement[]): Promise<unknown[]> {
    const sql = statements.map((statement) => statement.sql).join(';\n')
    const parameters = statements.flatMap((statement) => statement.parameters)
    const statement = this.deadline === undefined ? sql : { sql, timeout: Math.max(1, this.deadline - performance.now()) }
    return new Promise((resolve, reject) => {
      this.connection.query(statement, parameters, (error, result) => {
        if (error) reject(error)
        // mysql2 answers a multi-statement with one result per statement, a single one with its own.
        else resolve(statements.length > 1 ? (result as unknown[]) : [result])
      })
    })
  }
}

const CREATE_MARKER: Statement = {
  sql: `CREATE TEMPORARY TABLE IF NOT EXISTS ${WRITE_MARKER} (id TINYINT PRIMARY KEY, token BIGINT UNSIGNED NOT NULL) ENGINE = InnoDB`,
  parameters: [],
}
const AUTOCOMMIT_OFF: Statement = { sql: 'SET autocommit = 0', parameters: [] }
const AUTOCOMMIT_ON: Statement = { sql: 'SET autocommit = 1', parameters: [] }
const COMMIT: Statement = { sql: 'COMMIT', parameters: [] }
const ROLLBACK: Statement = { sql: 'ROLLBACK', parameters: [] }
