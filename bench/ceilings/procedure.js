// @ts-check
// Ceiling (a): the transfer transaction with no HTTP and no Node service in between. A stored
// procedure takes the same locks and makes the same writes as the service (lock both rows in id
// order, check, update both with version + 1, insert the transfer, commit), and mysql2 calls it in
// one round trip per transfer, from `connections` concurrent callers over a pool as large as the
// service's.
import { randomUUID } from 'node:crypto'
import mysql from 'mysql2/promise'

const PROCEDURE = `
CREATE PROCEDURE bench_transfer(IN p_id CHAR(36), IN p_src BIGINT UNSIGNED, IN p_dst BIGINT UNSIGNED, IN p_amount DECIMAL(38,18))
BEGIN
  DECLARE v_balance DECIMAL(38,18);
  DECLARE v_found INT;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  SELECT COUNT(*), SUM(IF(account_id = p_src, balance, 0)) INTO v_found, v_balance
    FROM accounts WHERE account_id IN (p_src, p_dst) ORDER BY account_id FOR UPDATE;
  IF v_found < 2 THEN
    ROLLBACK; SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'account not found';
  ELSEIF v_balance < p_amount THEN
    ROLLBACK; SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'insufficient funds';
  ELSE
    UPDATE accounts SET balance = IF(account_id = p_src, balance - p_amount, balance + p_amount), version = version + 1
      WHERE account_id IN (p_src, p_dst);
    INSERT INTO transfers (transfer_id, source_account_id, destination_account_id, amount, created_at)
      VALUES (p_id, p_src, p_dst, p_amount, UTC_TIMESTAMP(3));
    COMMIT;
  END IF;
END`

/**
 * Calls the procedure for `warmupS` seconds unmeasured (as the service's scenarios warm up), then
 * for `durationS` seconds measured; `startMeter` is started between the two.
 * @param {{ databaseUrl: string, poolSize: number, connections: number, warmupS: number, durationS: number,
 *   pick: () => { from: number, to: number, amount: string }, progress: (done: number) => void,
 *   startMeter: () => { stop: (requests: number) => Record<string, number | undefined> } }} options
 */
export async function runTransferCeiling({ databaseUrl, poolSize, connections, warmupS, durationS, pick, progress, startMeter }) {
  const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: poolSize, queueLimit: 0 })
  try {
    await pool.query('DROP PROCEDURE IF EXISTS bench_transfer')
    await pool.query(PROCEDURE)
    /** @type {number[]} */
    const latencies = []
    /** @type {Record<string, number>} */
    const failures = {}
    // Calls that committed, warm-up included, for the ledger check.
    let committed = 0
    /** @param {number} seconds @param {boolean} measured */
    const drive = (seconds, measured) => {
      const end = Date.now() + seconds * 1000
      return Promise.all(
        Array.from({ length: connections }, async () => {
          while (Date.now() < end) {
            const { from, to, amount } = pick()
            const t0 = performance.now()
            try {
              await pool.query('CALL bench_transfer(?, ?, ?, ?)', [randomUUID(), from, to, amount])
              committed++
            } catch (error) {
              const reason = /** @type {{ message?: string }} */ (error).message ?? 'error'
              if (measured) failures[reason] = (failures[reason] ?? 0) + 1
            }
            if (measured) {
              latencies.push(performance.now() - t0)
              progress(latencies.length)
            }
          }
        }),
      )
    }
    await drive(warmupS, false)
    const meter = startMeter()
    const started = Date.now()
    await drive(durationS, true)
    const seconds = (Date.now() - started) / 1000
    latencies.sort((a, b) => a - b)
    const at = (/** @type {number} */ q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0)
    return {
      requests: latencies.length,
      rps: Math.round(latencies.length / seconds),
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: Math.round(latencies.at(-1) ?? 0),
      failures,
      committed,
      cpu: meter.stop(latencies.length),
    }
  } finally {
    await pool.end()
  }
}
