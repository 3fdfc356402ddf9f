import { type Kysely, sql } from 'kysely'

/**
 * API keys, and who made what: the key that opened an account or made a transfer (NULL when
 * authentication was off, and for rows older than this migration). No foreign key and no index on
 * `created_by`: either would cost every write a lookup, and keys are never deleted.
 * Idempotency keys are stored as `<api key id> <Idempotency-Key>` (a space cannot occur in the
 * header), so the column grows by the 13 characters of the prefix.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('api_key_id', sql`CHAR(12) CHARACTER SET ascii COLLATE ascii_bin`, (col) => col.primaryKey())
    .addColumn('name', sql`VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`, (col) => col.notNull())
    // SHA-256 of the key's text; the text itself is never stored.
    .addColumn('secret_digest', sql`BINARY(32)`, (col) => col.notNull())
    .addColumn('scopes', sql`VARCHAR(200) CHARACTER SET ascii COLLATE ascii_bin`, (col) => col.notNull())
    // `1001,2000-2999`; NULL: every account.
    .addColumn('accounts', sql`TEXT CHARACTER SET ascii COLLATE ascii_bin`)
    .addColumn('created_at', sql`DATETIME(3)`, (col) => col.notNull())
    .addColumn('revoked_at', sql`DATETIME(3)`)
    .modifyEnd(sql`ENGINE = InnoDB`)
    .execute()
  await sql`ALTER TABLE accounts ADD COLUMN created_by CHAR(12) CHARACTER SET ascii COLLATE ascii_bin NULL`.execute(db)
  await sql`ALTER TABLE transfers ADD COLUMN created_by CHAR(12) CHARACTER SET ascii COLLATE ascii_bin NULL`.execute(db)
  await sql`ALTER TABLE idempotency_keys MODIFY idempotency_key VARCHAR(268) CHARACTER SET ascii COLLATE ascii_bin NOT NULL`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys MODIFY idempotency_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL`.execute(db)
  await sql`ALTER TABLE transfers DROP COLUMN created_by`.execute(db)
  await sql`ALTER TABLE accounts DROP COLUMN created_by`.execute(db)
  await db.schema.dropTable('api_keys').execute()
}
