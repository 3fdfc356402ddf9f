import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { client, dropDatabase, freshDatabaseUrl } from '../e2e/support/service.js'
import { type ServiceProcess, spawnService } from '../e2e/support/service-process.js'
import { expectCacheCoherent, expectLedger, HOLDINGS_SQL, openAccounts, sendTransfers } from './support/bank.js'
import { sql } from 'kysely'

const databaseUrl = freshDatabaseUrl('cluster_one')
const db = openDatabase(loadConfig({ DATABASE_URL: databaseUrl }).database)
let instances: ServiceProcess[] = []

beforeAll(async () => {
  // Three processes as `npm start` runs them, migrating at start all at once, sharing the machine's Redis.
  const env = { DATABASE_URL: databaseUrl }
  instances = await Promise.all([spawnService(env), spawnService(env), spawnService(env)])
})
afterAll(async () => {
  for (const instance of instances) {
    instance.child.kill('SIGTERM')
    await instance.exited
  }
  await dropDatabase(db, databaseUrl)
  await db.destroy()
})

describe('three instances on one MariaDB', () => {
  it('keep an exact ledger and a coherent cache under transfers sent to all three', async () => {
    const apis = instances.map((instance) => client(instance.baseUrl))
    const accounts = await openAccounts(apis[0]!, 100, 24)
    const run = await sendTransfers({ apis, accounts, workers: 30, perWorker: 30 })
    // One server: its locks serialise every conflict, so nothing is ever answered 503.
    expect([...run.answers.keys()].sort()).toEqual(['201', '422 INSUFFICIENT_FUNDS'])
    const balances = await sql.raw<any>(HOLDINGS_SQL.balances(accounts.ids)).execute(db)
    const transfers = await sql.raw<any>(HOLDINGS_SQL.transfers).execute(db)
    expectLedger(run, { balances: balances.rows, transfers: transfers.rows }, 'MariaDB')
    await expectCacheCoherent(run, apis)
  })
})
