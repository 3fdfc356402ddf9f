import { type Kysely, sql } from 'kysely'

/**
 * Balance history for rows older than 0006, which gave them none: an opening entry for every
 * account that has none, and the balances each record left where they are NULL.
 *
 * - An account's opening amount is what its balance was before any record that moved money:
 *   its balance, less what came in, plus what went out (posted records that are not
 *   reservations, as the self-audit counts them). It is dated a millisecond before the earlier
 *   of the account's creation and its first record, with an id of that millisecond, so it sorts
 *   first in the account's history, and it names the key that opened the account. Its id is made from that time and the account id, so two
 *   instances running this at once on two Galera nodes (which do not share kysely's lock) write
 *   the same row, and the second fails on its key and looks again (migrate.ts).
 * - The balance a record left on each of its accounts is the running sum of that account's
 *   entries in history order (created_at, transfer_id), computed with a window function over
 *   every entry and written only where it is missing: rows written since 0006 keep theirs.
 *
 * Idempotent: a database with nothing to backfill is left as it is. One pass over `transfers`;
 * it runs while the service starts, before it takes requests.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const moves = sql`(t.status = 'posted' AND t.expires_at IS NULL AND t.source_account_id <> t.destination_account_id)`
  const { rows } = await sql<{ account_id: string | number; opening: string; opened_at: Date; created_by: string | null }>`
    SELECT a.account_id, a.created_by,
           CAST(a.balance
             - COALESCE((SELECT SUM(t.amount) FROM transfers t WHERE t.destination_account_id = a.account_id AND ${moves}), 0)
             + COALESCE((SELECT SUM(t.amount) FROM transfers t WHERE t.source_account_id = a.account_id AND ${moves}), 0) AS CHAR) AS opening,
           LEAST(a.created_at,
             COALESCE((SELECT MIN(t.created_at) FROM transfers t WHERE t.source_account_id = a.account_id), a.created_at),
             COALESCE((SELECT MIN(t.created_at) FROM transfers t WHERE t.destination_account_id = a.account_id), a.created_at)
           ) - INTERVAL 1000 MICROSECOND AS opened_at
      FROM accounts a
     WHERE NOT EXISTS (SELECT 1 FROM transfers t WHERE t.status = 'opening' AND t.destination_account_id = a.account_id)`.execute(db)
  for (let i = 0; i < rows.length; i += 1000) {
    const values = rows.slice(i, i + 1000).map((row) => {
      const id = openingId(new Date(row.opened_at).getTime(), BigInt(row.account_id))
      return sql`(${id}, ${row.account_id}, ${row.account_id}, ${row.opening}, ${row.opened_at}, 'opening', ${row.opening}, ${row.opening}, ${row.created_by})`
    })
    await sql`INSERT INTO transfers (transfer_id, source_account_id, destination_account_id, amount, created_at, status, source_balance_after, destination_balance_after, created_by)
      VALUES ${sql.join(values)}`.execute(db)
  }

  const missing = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM transfers WHERE source_balance_after IS NULL OR destination_balance_after IS NULL`.execute(db)
  if (Number(missing.rows[0]?.n ?? 0) === 0) return
  // Each record is an entry of its destination (an opening entry only of it) and of its source.
  // A temporary table lives in one session: every statement below runs on one connection.
  await db.connection().execute(async (conn) => {
    await sql`CREATE TEMPORARY TABLE balance_backfill (
        transfer_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        side CHAR(1) CHARACTER SET ascii NOT NULL,
        balance_after DECIMAL(38,18) NOT NULL,
        PRIMARY KEY (transfer_id, side))`.execute(conn)
    try {
      await sql`INSERT INTO balance_backfill (transfer_id, side, balance_after)
        SELECT transfer_id, side, SUM(delta) OVER (PARTITION BY account_id ORDER BY created_at, transfer_id ROWS UNBOUNDED PRECEDING)
          FROM (
            SELECT t.transfer_id, 'd' AS side, t.destination_account_id AS account_id, t.created_at,
                   CASE WHEN t.status = 'opening' OR ${moves} THEN t.amount ELSE 0 END AS delta
              FROM transfers t
            UNION ALL
            SELECT t.transfer_id, 's', t.source_account_id, t.created_at, CASE WHEN ${moves} THEN -t.amount ELSE 0 END
              FROM transfers t WHERE t.status <> 'opening'
          ) AS entries`.execute(conn)
      await sql`UPDATE transfers t JOIN balance_backfill b ON b.transfer_id = t.transfer_id AND b.side = 'd'
        SET t.destination_balance_after = b.balance_after WHERE t.destination_balance_after IS NULL`.execute(conn)
      await sql`UPDATE transfers t JOIN balance_backfill b ON b.transfer_id = t.transfer_id AND b.side = 's'
        SET t.source_balance_after = b.balance_after WHERE t.source_balance_after IS NULL`.execute(conn)
    } finally {
      await sql`DROP TEMPORARY TABLE IF EXISTS balance_backfill`.execute(conn)
    }
  })
}

/** A UUIDv7 whose time is `ms` and whose remaining 72 bits are the account id, not random. */
export function openingId(ms: number, accountId: bigint): string {
  const time = ms.toString(16).padStart(12, '0')
  const id = accountId.toString(16).padStart(18, '0')
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${id.slice(0, 3)}-8${id.slice(3, 6)}-${id.slice(6, 18)}`
}

/** Nothing to undo: the rows it wrote are what 0006 would have written had it known. */
export async function down(): Promise<void> {}
