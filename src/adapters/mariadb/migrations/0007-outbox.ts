import { type Kysely, sql } from 'kysely'

/**
 * The transactional outbox: events written by the transaction of their change, published to NATS
 * by the relay after the commit and then deleted. `id` is the publishing order: transactions that
 * touch the same account are serialised by its row lock and insert their rows with it held, so an
 * account's events have ascending ids. `outbox_relay` holds one row, which the publishing relay
 * locks for the length of its batch: one relay publishes at a time, so two never reorder.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', sql`BIGINT UNSIGNED`, (col) => col.autoIncrement().primaryKey())
    .addColumn('event_id', sql`CHAR(36) CHARACTER SET ascii COLLATE ascii_bin`, (col) => col.notNull())
    // After the configured prefix: `transfer.posted.<source>.<destination>`.
    .addColumn('subject', sql`VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin`, (col) => col.notNull())
    .addColumn('payload', sql`TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`, (col) => col.notNull())
    // W3C traceparent of the writing transaction; NULL when it was not traced.
    .addColumn('trace_context', sql`VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin`)
    .addColumn('created_at', sql`DATETIME(3)`, (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP(3)`))
    .modifyEnd(sql`ENGINE = InnoDB`)
    .execute()
  await db.schema
    .createTable('outbox_relay')
    .addColumn('id', sql`TINYINT UNSIGNED`, (col) => col.primaryKey())
    .modifyEnd(sql`ENGINE = InnoDB`)
    .execute()
  await sql`INSERT INTO outbox_relay (id) VALUES (1)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbox_relay').execute()
  await db.schema.dropTable('outbox').execute()
}
