import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('account_id', sql`BIGINT UNSIGNED`, (col) => col.primaryKey())
    .addColumn('balance', sql`DECIMAL(38,18)`, (col) => col.notNull().check(sql`balance >= 0`))
    .addColumn('version', sql`BIGINT UNSIGNED`, (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', sql`DATETIME(3)`, (col) => col.notNull().defaultTo(sql`CURRENT_TIMESTAMP(3)`))
    .addColumn('updated_at', sql`DATETIME(3)`, (col) =>
      col.notNull().defaultTo(sql`CURRENT_TIMESTAMP(3)`).modifyEnd(sql`ON UPDATE CURRENT_TIMESTAMP(3)`),
    )
    .modifyEnd(sql`ENGINE = InnoDB`)
    .execute()

  await db.schema
    .createTable('transfers')
    // UUIDv7 text: ascii_bin sorts it by creation time.
    .addColumn('transfer_id', sql`CHAR(36) CHARACTER SET ascii COLLATE ascii_bin`, (col) => col.primaryKey())
    .addColumn('source_account_id', sql`BIGINT UNSIGNED`, (col) => col.notNull())
    .addColumn('destination_account_id', sql`BIGINT UNSIGNED`, (col) => col.notNull())
    .addColumn('amount', sql`DECIMAL(38,18)`, (col) => col.notNull().check(sql`amount > 0`))
    .addColumn('created_at', sql`DATETIME(3)`, (col) => col.notNull())
    .addForeignKeyConstraint('transfers_source_fk', ['source_account_id'], 'accounts', ['account_id'])
    .addForeignKeyConstraint('transfers_destination_fk', ['destination_account_id'], 'accounts', ['account_id'])
    .modifyEnd(sql`ENGINE = InnoDB`)
    .execute()

  // Per-account history, newest first, in both directions: each index serves one side of the
  // keyset query (account, created_at, transfer_id) without a sort.
  await db.schema
    .createIndex('transfers_by_source')
    .on('transfers')
    .columns(['source_account_id', 'created_at', 'transfer_id'])
    .execute()
  await db.schema
    .createIndex('transfers_by_destination')
    .on('transfers')
    .columns(['destination_account_id', 'created_at', 'transfer_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('transfers').execute()
  await db.schema.dropTable('accounts').execute()
}
