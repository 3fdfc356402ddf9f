import { CompiledQuery, type Kysely } from 'kysely'
import { StoreOutcomeUnknown } from '../../ports/errors.js'
import { isServerError } from './driver-errors.js'

export interface Statement {
  sql: string
  parameters: readonly unknown[]
}

/**
 * A transaction on one connection that spends as few round trips as it can: BEGIN travels with
 * the first statement, and writes whose results nobody waits for travel with the COMMIT. A
 * transfer thus costs two round trips ("BEGIN; SELECT … FOR UPDATE", then "UPDATE; INSERT;
 * COMMIT") instead of five, and holds its row locks for one round trip instead of three.
 *
 * Needs a pool with `multipleStatements`. MariaDB stops a multi-statement at the first error,
 * so a failed write never reaches the COMMIT behind it.
 */
export class BatchedTransaction {
  private begun = false
  private finished = false
  private readonly deferred: Statement[] = []

  constructor(private readonly connection: Pick<Kysely<unknown>, 'executeQuery'>) {}

  /** Runs `statement` now (opening the transaction if needed) and returns its rows. */
  async run<R>(statement: Statement): Promise<R[]> {
    const first = !this.begun
    // Set before sending: if the statement fails after BEGIN ran, rollback() must still be sent.
    this.begun = true
    const results = await this.send(first ? [BEGIN, statement] : [statement])
    return results.at(-1) as R[]
  }

  /** Queues a write to be sent with the COMMIT. */
  defer(statement: Statement): void {
    this.deferred.push(statement)
  }

  /**
   * Sends the queued writes and COMMIT together. A server error means nothing after it ran: the
   * transaction is rolled back and the error rethrown. A lost connection means the COMMIT may or
   * may not have run: StoreOutcomeUnknown.
   */
  async commit(): Promise<void> {
    if (!this.begun && this.deferred.length === 0) return
    const batch = [...(this.begun ? [] : [BEGIN]), ...this.deferred, COMMIT]
    try {
      await this.send(batch)
      this.finished = true
    } catch (error) {
      if (!isServerError(error)) {
        this.finished = true
        throw new StoreOutcomeUnknown('The commit was sent but its answer was lost', { cause: error })
      }
      this.begun = true
      throw error
    }
  }

  /** Rolls back if anything was sent and not committed; a dead connection has rolled back already. */
  async rollback(): Promise<void> {
    if (!this.begun || this.finished) return
    this.finished = true
    await this.send([ROLLBACK]).catch(() => {})
  }

  private async send(statements: readonly Statement[]): Promise<unknown[]> {
    const sql = statements.map((statement) => statement.sql).join(';\n')
    const parameters = statements.flatMap((statement) => statement.parameters)
    const { rows } = await this.connection.executeQuery(CompiledQuery.raw(sql, parameters))
    // mysql2 answers a multi-statement with one result per statement, a single one with its rows.
    return statements.length > 1 ? rows : [rows]
  }
}

const BEGIN: Statement = { sql: 'START TRANSACTION', parameters: [] }
const COMMIT: Statement = { sql: 'COMMIT', parameters: [] }
const ROLLBACK: Statement = { sql: 'ROLLBACK', parameters: [] }
