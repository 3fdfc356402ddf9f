import { type Kysely, sql } from 'kysely'
import type { IdempotencyRecord, IdempotencyRecords } from '../../ports/idempotency.js'
import { translate } from './driver-errors.js'
import type { Database } from './tables.js'

export class MariadbIdempotencyRecords implements IdempotencyRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async find(key: string): Promise<IdempotencyRecord | undefined> {
    try {
      const row = await this.db
        .selectFrom('idempotency_keys')
        .select(['idempotency_key', 'fingerprint', 'response_status', 'response_body'])
        .where('idempotency_key', '=', key)
        .executeTakeFirst()
      // Rows are committed with their response; a row without one is not a finished request.
      if (!row || row.response_status === null || row.response_body === null) return undefined
      return {
        key: row.idempotency_key,
        fingerprint: row.fingerprint,
        response: { status: row.response_status, body: row.response_body },
      }
    } catch (error) {
      throw translate(error)
    }
  }

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
