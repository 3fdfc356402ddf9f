// @ts-check
// After a scenario that moves money: the ledger is checked where it lives, in MariaDB.
import mysql from 'mysql2/promise'
import { ACCOUNTS } from './workload.js'

/**
 * Reads the bench database. Amounts are summed by MariaDB as DECIMAL and compared as text, so the
 * check is exact.
 * @param {string} databaseUrl
 */
export function openLedger(databaseUrl) {
  const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: 2 })
  /** @param {string} sql @param {unknown[]} [parameters] */
  const one = async (sql, parameters = []) => {
    const [rows] = await pool.query(sql, parameters)
    return /** @type {Record<string, unknown>[]} */ (rows)[0] ?? {}
  }
  return {
    /**
     * The number of transfer rows from the uniform accounts: a previous scenario's requests still
     * in flight (on the hot pair) may commit after this is first read, and must not count.
     */
    transfers: async () =>
      Number(
        (await one('SELECT COUNT(*) AS n FROM transfers WHERE source_account_id BETWEEN ? AND ?', [ACCOUNTS.first, ACCOUNTS.first + ACCOUNTS.count - 1])).n,
      ),
    /**
     * Whether the uniform accounts still hold, together, what they were opened with: transfers
     * among them only move money. Also counts negative balances (there must be none).
     */
    async uniformConserved() {
      const row = await one(
        `SELECT CAST(SUM(balance) AS CHAR) AS total, CAST(? * ? AS DECIMAL(38,18)) = SUM(balance) AS conserved, SUM(balance < 0) AS negative
         FROM accounts WHERE account_id BETWEEN ? AND ?`,
        [ACCOUNTS.count, ACCOUNTS.balance, ACCOUNTS.first, ACCOUNTS.first + ACCOUNTS.count - 1],
      )
      return { total: String(row.total), conserved: Number(row.conserved) === 1 && Number(row.negative) === 0 }
    },
    /** The balances of accounts, as the database prints them. @param {number[]} ids */
    async balances(ids) {
      const [rows] = await pool.query('SELECT account_id, CAST(balance AS CHAR) AS balance FROM accounts WHERE account_id IN (?)', [ids])
      return new Map(/** @type {{ account_id: number, balance: string }[]} */ (rows).map((row) => [Number(row.account_id), row.balance]))
    },
    close: () => pool.end(),
  }
}

/** @typedef {ReturnType<typeof openLedger>} Ledger */
