import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MariadbAccountStore } from '../../src/adapters/mariadb/account-store.js'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { StoreUnavailable } from '../../src/ports/errors.js'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

let service: RunningService
let api: ReturnType<typeof client>

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('locking'), env: { DB_LOCK_WAIT_TIMEOUT_S: '1' } })
  api = client(service.baseUrl)
  for (const id of [1, 2, 3, 4]) await api.createAccount(id, '100')
})
afterAll(() => service.stop())

describe('MariadbAccountStore.transaction', () => {
  it('rolls back a deadlock victim and runs it again until both transactions commit', async () => {
    const store = new MariadbAccountStore(service.db, { attempts: 3, baseDelayMs: 5 })
    let attempts = 0
    // Lock in opposite orders on purpose (the use case never does), so MariaDB must pick a victim.
    const crosswise = (first: number, second: number) =>
      store.transaction(async (tx) => {
        attempts++
        await tx.lockAccounts([first])
        await sleep(200)
        await tx.lockAccounts([second])
        return 'committed'
      })
    await expect(Promise.all([crosswise(1, 2), crosswise(2, 1)])).resolves.toEqual(['committed', 'committed'])
    expect(attempts).toBeGreaterThanOrEqual(3)
  })

  it('gives up with StoreUnavailable once the attempts run out', async () => {
    const store = new MariadbAccountStore(service.db, { attempts: 2, baseDelayMs: 5 })
    let attempts = 0
    await service.db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = 3 FOR UPDATE`.execute(holder)
      const waiting = store.transaction(async (tx) => {
        attempts++
        return tx.lockAccounts([3])
      })
      await expect(waiting).rejects.toBeInstanceOf(StoreUnavailable)
    })
    expect(attempts).toBe(2)
  })
})

describe('a transfer whose accounts stay locked', () => {
  it('answers 503 after bounded lock waits and changes nothing', async () => {
    await service.db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = 4 FOR UPDATE`.execute(holder)
      const reply = await api.transfer(3, 4, '1')
      expect(reply).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } })
      expect(reply.body.detail).toContain('retry')
    })
    expect(await api.balance(3)).toBe('100')
    expect(await api.balance(4)).toBe('100')
  })

  it('completes once the lock is released within the wait bound', async () => {
    // Wrapped in an object: returning the bare promise would make the holder wait for the transfer.
    const { pending } = await service.db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = 4 FOR UPDATE`.execute(holder)
      const pending = api.transfer(3, 4, '1')
      await sleep(300)
      return { pending }
    })
    const settled = await pending
    expect(settled.status).toBe(201)
    expect(await api.balance(3)).toBe('99')
    expect(await api.balance(4)).toBe('101')
  })
})

describe('a saturated pool', () => {
  it('answers 503 at once to requests beyond the wait queue, and serves the queued ones', async () => {
    const small = await startService({
      databaseUrl: freshDatabaseUrl('saturated'),
      env: { DB_POOL_SIZE: '1', DB_QUEUE_LIMIT: '1', DB_LOCK_WAIT_TIMEOUT_S: '5' },
    })
    // A connection of the test's own, outside the service's one-connection pool.
    const outside = openDatabase(loadConfig({ DATABASE_URL: small.databaseUrl }).database)
    try {
      const smallApi = client(small.baseUrl)
      for (const id of [1, 2]) await smallApi.createAccount(id, '10')
      const { transfer, queued, rejected } = await outside.transaction().execute(async (holder) => {
        await sql`SELECT * FROM accounts WHERE account_id = 2 FOR UPDATE`.execute(holder)
        const transfer = smallApi.transfer(1, 2, '1') // takes the only connection, waits for the lock
        await sleep(200)
        const queued = smallApi.get('/v1/accounts/1') // waits in the queue of one
        await sleep(100)
        const rejected = await smallApi.get('/v1/accounts/1') // finds the queue full
        return { transfer, queued, rejected }
      })
      expect(rejected).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } })
      expect((await transfer).status).toBe(201)
      expect(await queued).toMatchObject({ status: 200, body: { balance: '9' } })
    } finally {
      await outside.destroy()
      await small.stop()
    }
  })
})
