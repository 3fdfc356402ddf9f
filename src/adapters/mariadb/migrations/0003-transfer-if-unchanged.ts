import { type Kysely, sql } from 'kysely'

/**
 * A transfer in one round trip, for balances the domain has already checked against a snapshot:
 * both accounts are written only if each is still at the version that snapshot had. The procedure
 * decides nothing about money; it is a compare-and-set of two rows plus the transfer record, in
 * one transaction. SELECT 1 when it committed, 0 when either account had moved on (nothing
 * changed). The single UPDATE walks the primary key upwards, so it locks in the same order as
 * the locking path's SELECT … FOR UPDATE.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE PROCEDURE transfer_if_unchanged(
      IN p_transfer_id CHAR(36) CHARACTER SET ascii,
      IN p_source BIGINT UNSIGNED, IN p_source_version BIGINT UNSIGNED, IN p_source_balance DECIMAL(38,18),
      IN p_destination BIGINT UNSIGNED, IN p_destination_version BIGINT UNSIGNED, IN p_destination_balance DECIMAL(38,18),
      IN p_amount DECIMAL(38,18), IN p_created_at DATETIME(3))
    BEGIN
      DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
      START TRANSACTION;
      UPDATE accounts
        SET balance = IF(account_id = p_source, p_source_balance, p_destination_balance), version = version + 1
        WHERE (account_id = p_source AND version = p_source_version)
           OR (account_id = p_destination AND version = p_destination_version);
      IF ROW_COUNT() = 2 THEN
        INSERT INTO transfers (transfer_id, source_account_id, destination_account_id, amount, created_at)
          VALUES (p_transfer_id, p_source, p_destination, p_amount, p_created_at);
        COMMIT;
        SELECT 1 AS applied;
      ELSE
        ROLLBACK;
        SELECT 0 AS applied;
      END IF;
    END`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP PROCEDURE IF EXISTS transfer_if_unchanged`.execute(db)
}
