import { openPool, openDatabase, ensureDatabase } from './dist/adapters/mariadb/database.js'
import { migrateToLatest } from './dist/adapters/mariadb/migrate.js'
import { MariadbUnitOfWork } from './dist/adapters/mariadb/unit-of-work.js'
import { loadConfig } from './dist/config.js'
import { Money } from './dist/domain/money.js'
const config = loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/prof_uow', REDIS_URL: '' })
await ensureDatabase(config.database)
const pool = openPool(config.database)
const db = openDatabase(config.database, pool)
await migrateToLatest(db)
await db.insertInto('accounts').values([{ account_id: 1, balance: '1000000000', version: 0 }, { account_id: 2, balance: '0', version: 0 }]).execute().catch(() => {})
const uow = new MariadbUnitOfWork(pool)
const one = Money.parse('1')
let n = 0
async function transfer() {
  await uow.run(async (tx) => {
    const locked = await tx.accounts.lock([1, 2])
    const [a, b] = [locked.get(1), locked.get(2)]
    tx.accounts.write([{ before: a, after: { ...a, balance: a.balance.minus(one), version: a.version + 1 } }, { before: b, after: { ...b, balance: b.balance.plus(one), version: b.version + 1 } }])
    tx.transfers.insert([{ id: `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`, sourceAccountId: 1, destinationAccountId: 2, amount: one, createdAt: new Date() }])
  })
}
for (let i = 0; i < 300; i++) await transfer()
const u0 = process.cpuUsage(); const t0 = performance.now()
const N = 2000
for (let i = 0; i < N; i++) await transfer()
const u = process.cpuUsage(u0); const t = performance.now() - t0
console.log(`wall ${(t * 1000 / N).toFixed(0)} us/txn, user ${(u.user / N).toFixed(0)} us, sys ${(u.system / N).toFixed(0)} us`)
await db.destroy()
