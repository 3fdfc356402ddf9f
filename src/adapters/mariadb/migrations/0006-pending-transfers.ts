import { type Kysely, sql } from 'kysely'

/**
 * Two-phase transfers. Accounts keep the sums of their open pending transfers out and in, and
 * never promise more than they hold (`balance >= pending_debits`). A transfer has a status; a
 * pending one has `expires_at`, and the post or void that resolves it names it in
 * `pending_transfer_id`, which is unique: no pending transfer is resolved twice, whatever the
 * code above does. `transfers_expiring` is the sweep's index: open pending transfers by timeout.
 * Every column is added with a default, so existing rows read as plain posted transfers.
 *
 * Balances over time: each record keeps the posted balances it left on both accounts, and an
 * account's initial balance is an `opening` record of its own (source = destination = the account),
 * so every balance is the sum of its entries and the balance at an instant is one index lookup.
 * Rows older than this migration get their opening entries and balances from 0008.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE accounts
    ADD COLUMN pending_debits DECIMAL(38,18) NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
    ADD COLUMN pending_credits DECIMAL(38,18) NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
    ADD CONSTRAINT accounts_pending_covered CHECK (balance >= pending_debits)`.execute(db)
  await sql`ALTER TABLE transfers
    ADD COLUMN status ENUM('posted', 'pending', 'voided', 'expired', 'opening') CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'posted',
    ADD COLUMN source_balance_after DECIMAL(38,18) NULL,
    ADD COLUMN destination_balance_after DECIMAL(38,18) NULL,
    ADD COLUMN expires_at DATETIME(3) NULL,
    ADD COLUMN pending_transfer_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
    ADD UNIQUE INDEX transfers_resolving (pending_transfer_id),
    ADD INDEX transfers_expiring (status, expires_at)`.execute(db)
  // An opening entry records an initial balance, which may be zero.
  // The old check is part of the column's definition: redefining the column drops it.
  await sql`ALTER TABLE transfers MODIFY amount DECIMAL(38,18) NOT NULL, ADD CONSTRAINT transfers_amount CHECK (amount > 0 OR status = 'opening')`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM transfers WHERE status = 'opening'`.execute(db)
  await sql`ALTER TABLE transfers DROP CONSTRAINT transfers_amount, MODIFY amount DECIMAL(38,18) NOT NULL CHECK (amount > 0)`.execute(db)
  await sql`ALTER TABLE transfers DROP INDEX transfers_expiring, DROP INDEX transfers_resolving,
    DROP COLUMN destination_balance_after, DROP COLUMN source_balance_after,
    DROP COLUMN pending_transfer_id, DROP COLUMN expires_at, DROP COLUMN status`.execute(db)
  await sql`ALTER TABLE accounts DROP CONSTRAINT accounts_pending_covered, DROP COLUMN pending_credits, DROP COLUMN pending_debits`.execute(db)
}
