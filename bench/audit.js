// The self-audit on a large ledger: seeds ACCOUNTS accounts and TRANSFERS transfers by SQL bulk
// inserts (MariaDB's sequence engine), a ledger whose books add up, then runs `node dist/main.js
// audit` as an operator would and prints what it printed and how long it took; meanwhile a writer
// keeps taking row locks on the same accounts, to show that the audit does not hold it up.
// Run under the shared lock: flock /tmp/heavy.lock npm run bench:audit [-- --transfers 1000000 --accounts 10000]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { parseArgs } from 'node:util'
import mysql from 'mysql2/promise'
import { migrateDatabase } from '../dist/application.js'
import { loadConfig } from '../dist/config.js'

const { values } = parseArgs({
  options: {
    transfers: { type: 'string', default: '1000000' },
    accounts: { type: 'string', default: '10000' },
    server: { type: 'string', default: 'mysql://root@127.0.0.1:3306' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log('node bench/audit.js [--transfers N] [--accounts N] [--server mysql://root@host:port]: seeds a ledger, then times npm run audit')
  process.exit(0)
}
const transfers = Number(values.transfers)
const accounts = Number(values.accounts)
if (transfers % accounts !== 0) throw new Error('--transfers must be a multiple of --accounts, so every account sends as much as it receives')
const databaseUrl = `${values.server}/bench_audit`
const main = new URL('../dist/main.js', import.meta.url).pathname

const admin = await mysql.createConnection(values.server)
await admin.query('DROP DATABASE IF EXISTS bench_audit')
await admin.end()
await migrateDatabase(loadConfig({ DATABASE_URL: databaseUrl, REDIS_URL: '' }))

const db = await mysql.createConnection({ uri: databaseUrl, multipleStatements: true })
let started = performance.now()
await db.query('SET SESSION foreign_key_checks = 0, SESSION unique_checks = 0')
await db.query(`INSERT INTO accounts (account_id, balance, version) SELECT seq, 1000, 0 FROM seq_1_to_${accounts}`)
await db.query(
  `INSERT INTO transfers (transfer_id, source_account_id, destination_account_id, amount, created_at, status, source_balance_after, destination_balance_after)
   SELECT CONCAT('00000000-0000-7000-8000-', LPAD(seq, 12, '0')), seq, seq, 1000, NOW(3), 'opening', 1000, 1000 FROM seq_1_to_${accounts}`,
)
// Transfer k moves 1 from account (k mod A) + 1 to ((k + 1) mod A) + 1: each account sends and receives T / A, and ends where it began.
const chunk = 200_000
for (let from = 1; from <= transfers; from += chunk) {
  const to = Math.min(transfers, from + chunk - 1)
  await db.query(
    `INSERT INTO transfers (transfer_id, source_account_id, destination_account_id, amount, created_at)
     SELECT CONCAT('00000001-0000-7000-8000-', LPAD(seq, 12, '0')), (seq % ${accounts}) + 1, ((seq + 1) % ${accounts}) + 1, 1, NOW(3) FROM seq_${from}_to_${to}`,
  )
}
console.log(`seeded ${accounts} accounts and ${transfers} transfers (+ ${accounts} opening entries) in ${((performance.now() - started) / 1000).toFixed(1)} s`)

// A writer on the side: short transactions that lock an account row each, timed while the audit runs.
const writer = await mysql.createConnection(databaseUrl)
let writing = true
const waits = []
const write = async () => {
  for (let i = 0; writing; i++) {
    const t = performance.now()
    await writer.query('START TRANSACTION')
    await writer.query('SELECT balance FROM accounts WHERE account_id = ? FOR UPDATE', [(i % accounts) + 1])
    await writer.query('UPDATE accounts SET balance = balance WHERE account_id = ?', [(i % accounts) + 1])
    await writer.query('COMMIT')
    waits.push(performance.now() - t)
  }
}
const writes = write()

started = performance.now()
const child = spawn(process.execPath, [main, 'audit'], { env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: '' }, stdio: ['ignore', 'inherit', 'inherit'] })
const [code] = await once(child, 'exit')
const seconds = (performance.now() - started) / 1000
writing = false
await writes
await writer.end()
waits.sort((a, b) => a - b)
console.log(`npm run audit: exit ${code}, ${seconds.toFixed(1)} s wall (process start and migrations check included)`)
console.log(`writer during the audit: ${waits.length} lock-and-commit transactions, p50 ${waits[Math.floor(waits.length / 2)]?.toFixed(1)} ms, max ${waits.at(-1)?.toFixed(1)} ms`)
await db.query('DROP DATABASE bench_audit')
await db.end()
process.exit(code === 0 ? 0 : 1)
