import { type Kysely, sql } from 'kysely'
import type { IdempotencyRecords } from '../../ports/idempotency.js'
import { translate } from './driver-errors.js'
import type { Database } from './tables.js'

export class MariadbIdempotencyRecords implements IdempotencyRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async deleteExpired(now: Date, limit: number): Promise<number> {
    try {
      // READ COMMITTED takes no gap locks, so the sweep never blocks the insert of a new key.
      return await this.db
        .transaction()
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          const result = await sql`DELETE FROM idempotency_keys WHERE expires_at < ${now} ORDER BY expires_at LIMIT ${limit}`.execute(trx)
          return Number(result.numAffectedRows ?? 0)
        })
    } catch (error) {
      throw translate(error)
    }
  }
}
