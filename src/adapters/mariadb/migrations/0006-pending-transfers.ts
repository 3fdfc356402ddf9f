import { type Kysely, sql } from 'kysely'

/**
 * Two-phase transfers. Accounts keep the sums of their open pending transfers out and in, and
 * never promise more than they hold (`balance >= pending_debits`). A transfer has a status; a
 * pending one has `expires_at`, and the post or void that resolves it names it in
 * `pending_transfer_id`, which is unique: no pending transfer is resolved twice, whatever the
 * code above does. `transfers_expiring` is the sweep's index: open pending transfers by timeout.
 * Every column is added with a default, so existing rows read as plain posted transfers.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE accounts
    ADD COLUMN pending_debits DECIMAL(38,18) NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
    ADD COLUMN pending_credits DECIMAL(38,18) NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
    ADD CONSTRAINT accounts_pending_covered CHECK (balance >= pending_debits)`.execute(db)
  await sql`ALTER TABLE transfers
    ADD COLUMN status ENUM('posted', 'pending', 'voided', 'expired') CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'posted',
    ADD COLUMN expires_at DATETIME(3) NULL,
    ADD COLUMN pending_transfer_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    ADD UNIQUE INDEX transfers_resolving (pending_transfer_id),
    ADD INDEX transfers_expiring (status, expires_at)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE transfers DROP INDEX transfers_expiring, DROP INDEX transfers_resolving,
    DROP COLUMN pending_transfer_id, DROP COLUMN expires_at, DROP COLUMN status`.execute(db)
  await sql`ALTER TABLE accounts DROP CONSTRAINT accounts_pending_covered, DROP COLUMN pending_credits, DROP COLUMN pending_debits`.execute(db)
}
