import type { MysqlPool, MysqlPoolConnection } from 'kysely'
import { StoreOutcomeUnknown } from '../../ports/errors.js'
import type { UnitOfWork, WriteTransaction } from '../../ports/unit-of-work.js'
import { MariadbAccountWrites } from './account-writes.js'
import type { BoundedPool } from './bounded-pool.js'
import { lockConflictOf, translate } from './driver-errors.js'
import { MariadbIdempotencyKeyWrites } from './idempotency-key-writes.js'
import { MariadbOutboxWrites } from './outbox-writes.js'
import { MariadbTransaction } from './transaction.js'
import { MariadbTransferWrites } from './transfer-writes.js'

type Connection = MysqlPoolConnection

/**
 * Transactions on connections of the service's pool (the one kysely reads through too), each
 * written by a MariadbTransaction: locks and reads in their own round trips, writes with COMMIT.
 */
export class MariadbUnitOfWork implements UnitOfWork {
  /** Connections whose session has its write marker table (see MariadbTransaction). */
  private readonly marked = new WeakSet<Connection>()

  /** `lockWaitSeconds`: the sessions' `innodb_lock_wait_timeout`, which a deadline may only shorten. */
  constructor(
    private readonly pool: MysqlPool,
    private readonly options: { lockWaitSeconds?: number } = {},
  ) {}

  async run<T>(work: (tx: WriteTransaction) => Promise<T>, { deadline }: { deadline?: number } = {}): Promise<T> {
    const connection = await this.acquire(deadline)
    const tx = new MariadbTransaction(connection, this.marked.has(connection), deadline, this.options.lockWaitSeconds)
    let reusable = true
    try {
      const result = await work({
        accounts: new MariadbAccountWrites(tx),
        transfers: new MariadbTransferWrites(tx),
        idempotencyKeys: new MariadbIdempotencyKeyWrites(tx),
        outbox: new MariadbOutboxWrites(tx),
      })
      await tx.commit()
      return result
    } catch (error) {
      // A connection that cannot be put back in autocommit would hand the next user a transaction.
      reusable = await tx.rollback()
      if (error instanceof StoreOutcomeUnknown) throw error
      throw lockConflictOf(error, undefined) ?? translate(error)
    } finally {
      if (tx.sessionMarked) this.marked.add(connection)
      if (reusable) connection.release()
      else connection.destroy()
    }
  }

  private acquire(deadline: number | undefined): Promise<Connection> {
    return new Promise((resolve, reject) => {
      // A plain pool ignores the bound; a BoundedPool (the service's) waits no longer than it.
      const within = deadline === undefined ? undefined : deadline - performance.now()
      ;(this.pool as BoundedPool).getConnection((error, connection) => {
        if (error) reject(translate(error))
        else resolve(connection as Connection)
      }, within)
    })
  }
}

