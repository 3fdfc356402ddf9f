import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    // Visible ASCII, compared byte for byte: "Key" and "key" are different keys.
    .addColumn('idempotency_key', sql`VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin`, (col) => col.primaryKey())
    .addColumn('fingerprint', sql`CHAR(64) CHARACTER SET ascii COLLATE ascii_bin`, (col) => col.notNull())
    // NULL while the claiming transaction runs; set before it commits.
    .addColumn('response_status', sql`SMALLINT UNSIGNED`)
    .addColumn('response_body', sql`MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
    .addColumn('created_at', sql`DATETIME(3)`, (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP(3)`))
    .addColumn('expires_at', sql`DATETIME(3)`, (col) => col.notNull())
    .modifyEnd(sql`ENGINE = InnoDB`)
    .execute()
  // Serves the expiry sweep: the oldest first, a bounded batch at a time.
  await db.schema.createIndex('idempotency_keys_by_expiry').on('idempotency_keys').column('expires_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute()
}
