import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPrivateMariadb, type PrivateMariadb } from './support/private-mariadb.js'
import { client, startService } from './support/service.js'

let mariadb: PrivateMariadb

beforeAll(async () => {
  // The settings of the outside fault run that lost 315 acknowledged transfers, and an unsynced binary log.
  mariadb = await startPrivateMariadb(['--innodb-flush-log-at-trx-commit=0', '--log-bin=binlog', '--sync-binlog=0'])
})
afterAll(() => mariadb?.stop())

describe('a MariaDB that can lose acknowledged commits', () => {
  it('is refused at start, naming each setting and DB_DURABILITY', async () => {
    const started = startService({ databaseUrl: `${mariadb.url}/e2e_durability_strict` })
    await expect(started).rejects.toThrow(/innodb_flush_log_at_trx_commit=0.*sync_binlog=0.*DB_DURABILITY=relaxed/)
  })

  it('is accepted, with warnings, under DB_DURABILITY=relaxed', async () => {
    const service = await startService({ databaseUrl: `${mariadb.url}/e2e_durability_relaxed`, env: { DB_DURABILITY: 'relaxed' } })
    try {
      expect((await client(service).createAccount(1, '5')).status).toBe(201)
    } finally {
      await service.stop()
    }
  })
})
