import { type Kysely, sql } from 'kysely'

/**
 * Transfers are written in batches by one write path (MariadbTransaction), which takes the locks
 * itself; the one-round-trip compare-and-set procedure of 0003 has no caller left.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP PROCEDURE IF EXISTS transfer_if_unchanged`.execute(db)
}

export async function down(): Promise<void> {
  // 0003's up() creates the procedure again, should anyone migrate down past this point.
}
