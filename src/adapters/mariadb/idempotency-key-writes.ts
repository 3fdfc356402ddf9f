import type { IdempotencyRecord, KeyClaim, StoredResponse } from '../../ports/idempotency.js'
import type { IdempotencyKeyWrites } from '../../ports/unit-of-work.js'
import { lockConflictOf } from './driver-errors.js'
import { caseOf, placeholders } from './statements.js'
import type { MariadbTransaction } from './transaction.js'

interface KeyRow {
  idempotency_key: string
  fingerprint: string
  response_status: number | null
  response_body: string | null
}

/** Locking statements name the primary key: a scan of a small table would lock other requests' keys. */
const BY_KEY = 'FORCE INDEX (PRIMARY)'

export class MariadbIdempotencyKeyWrites implements IdempotencyKeyWrites {
  constructor(private readonly tx: MariadbTransaction) {}

  async claim(claims: readonly KeyClaim[]): Promise<Map<string, IdempotencyRecord>> {
    if (claims.length === 0) return new Map()
    const keys = claims.map((claim) => claim.key)
    let rows: KeyRow[]
    try {
      // INSERT IGNORE skips keys that exist; against a key another transaction inserted and has not
      // committed, InnoDB makes it wait for that transaction. The locking read then sees the latest
      // committed row of every key: a key committed before has its response (keys commit with one),
      // a key claimed here has none yet.
      const [, read = []] = await this.tx.read<KeyRow>([
        {
          sql: `INSERT IGNORE INTO idempotency_keys (idempotency_key, fingerprint, expires_at) VALUES ${claims.map(() => '(?, ?, ?)').join(', ')}`,
          parameters: claims.flatMap((claim) => [claim.key, claim.fingerprint, claim.expiresAt]),
        },
        {
          sql:
            `SELECT idempotency_key, fingerprint, response_status, response_body FROM idempotency_keys ${BY_KEY} ` +
            `WHERE idempotency_key IN (${placeholders(keys.length)}) LOCK IN SHARE MODE`,
          parameters: keys,
        },
      ])
      rows = read
    } catch (error) {
      throw lockConflictOf(error, 'idempotency-key') ?? error
    }
    const committed = new Map<string, IdempotencyRecord>()
    for (const row of rows) {
      if (row.response_status === null || row.response_body === null) continue
      committed.set(row.idempotency_key, {
        key: row.idempotency_key,
        fingerprint: row.fingerprint,
        response: { status: row.response_status, body: row.response_body },
      })
    }
    return committed
  }

  save(responses: readonly { key: string; response: StoredResponse }[]): void {
    if (responses.length === 0) return
    const keys = responses.map(({ key }) => key)
    const statuses = caseOf('idempotency_key', responses, ({ key }) => key, ({ response }) => response.status)
    const bodies = caseOf('idempotency_key', responses, ({ key }) => key, ({ response }) => response.body)
    this.tx.queue({
      sql:
        `UPDATE idempotency_keys ${BY_KEY} SET response_status = ${statuses.sql}, response_body = ${bodies.sql} ` +
        `WHERE idempotency_key IN (${placeholders(keys.length)}) AND response_status IS NULL`,
      parameters: [...statuses.parameters, ...bodies.parameters, ...keys],
    })
  }

  release(keys: readonly string[]): void {
    if (keys.length === 0) return
    this.tx.queue({
      // The multi-table form of DELETE, which alone takes an index hint.
      sql: `DELETE k FROM idempotency_keys AS k ${BY_KEY} WHERE k.idempotency_key IN (${placeholders(keys.length)}) AND k.response_status IS NULL`,
      parameters: keys,
    })
  }
}
