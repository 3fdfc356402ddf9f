import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MariadbAccountStore } from '../../src/adapters/mariadb/account-store.js'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { Money } from '../../src/domain/money.js'
import { StoreUnavailable } from '../../src/ports/errors.js'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in 10 s')
    await sleep(20)
  }
}

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

describe('a write that fails inside the COMMIT batch', () => {
  it('stops the batch before COMMIT and rolls back everything, including writes that succeeded', async () => {
    const store = new MariadbAccountStore(service.db)
    const move = (transferId: string, amount: string) =>
      store.transaction(async (tx) => {
        const locked = await tx.lockAccounts([1, 2])
        const [a, b] = [locked.get(1)!, locked.get(2)!]
        const money = Money.parse(amount)!
        const after = [
          { ...a, balance: a.balance.minus(money), version: a.version + 1 },
          { ...b, balance: b.balance.plus(money), version: b.version + 1 },
        ]
        const createdAt = new Date()
        await tx.recordTransfer({ id: transferId, sourceAccountId: 1, destinationAccountId: 2, amount: money, createdAt }, after)
      })
    const before = [await api.balance(1), await api.balance(2)]
    await move('00000000-0000-7000-8000-000000000001', '1')
    // The same transfer id again: the UPDATE of both balances runs, then the INSERT fails.
    await expect(move('00000000-0000-7000-8000-000000000001', '5')).rejects.toMatchObject({ errno: 1062 })
    const after = [await api.balance(1), await api.balance(2)]
    expect(after).toEqual([Money.parse(before[0]!)!.minus(Money.parse('1')!).toString(), Money.parse(before[1]!)!.plus(Money.parse('1')!).toString()])
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

describe('MariadbAccountStore.recordTransferIfUnchanged', () => {
  const store = () => new MariadbAccountStore(service.db)
  /** Accounts 5 and 6 as committed, and what a transfer of `amount` from 5 to 6 would make of them. */
  async function planned(id: string, amount: string) {
    await Promise.all([5, 6].map((n) => api.createAccount(n, '100')))
    const [source, destination] = await Promise.all([store().find(5), store().find(6)])
    if (!source || !destination) throw new Error('accounts 5 and 6 should exist')
    const money = Money.parse(amount)!
    const after = [
      { ...source, balance: source.balance.minus(money), version: source.version + 1 },
      { ...destination, balance: destination.balance.plus(money), version: destination.version + 1 },
    ] as const
    return { transfer: { id, sourceAccountId: 5, destinationAccountId: 6, amount: money, createdAt: new Date() }, after }
  }
  const transferRows = async (id: string) =>
    (await service.db.selectFrom('transfers').select('transfer_id').where('transfer_id', '=', id).execute()).length

  it('commits when both versions are unchanged, and writes nothing once one has moved on', async () => {
    const first = await planned('00000000-0000-7000-8000-000000000005', '30')
    expect(await store().recordTransferIfUnchanged(first.transfer, first.after)).toBe(true)
    expect([await api.balance(5), await api.balance(6), await transferRows(first.transfer.id)]).toEqual(['70', '130', 1])

    // The same plan again: both accounts are now one version past it.
    const again = { ...first.transfer, id: '00000000-0000-7000-8000-000000000006' }
    expect(await store().recordTransferIfUnchanged(again, first.after)).toBe(false)
    expect([await api.balance(5), await api.balance(6), await transferRows(again.id)]).toEqual(['70', '130', 0])
  })

  it('gives way with false on a lock wait, leaving the decision to the locking path', async () => {
    const { transfer, after } = await planned('00000000-0000-7000-8000-000000000007', '1')
    await service.db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = 6 FOR UPDATE`.execute(holder)
      expect(await store().recordTransferIfUnchanged(transfer, after)).toBe(false)
    })
    expect(await transferRows(transfer.id)).toBe(0)
  })
})

describe('a saturated pool', () => {
  it('answers 503 at once to requests beyond the wait queue, and serves the queued ones', async () => {
    const small = await startService({
      databaseUrl: freshDatabaseUrl('saturated'),
      env: { DB_POOL_SIZE: '1', DB_QUEUE_LIMIT: '1', DB_LOCK_WAIT_TIMEOUT_S: '20', DB_ACQUIRE_TIMEOUT_MS: '20000', DB_QUERY_TIMEOUT_MS: '30000' },
    })
    // A connection of the test's own, outside the service's one-connection pool.
    const outside = openDatabase(loadConfig({ DATABASE_URL: small.databaseUrl }).database)
    try {
      const smallApi = client(small.baseUrl)
      for (const id of [1, 2]) await smallApi.createAccount(id, '10')
      const { transfer, reads, first } = await outside.transaction().execute(async (holder) => {
        await sql`SELECT * FROM accounts WHERE account_id = 2 FOR UPDATE`.execute(holder)
        const transfer = smallApi.transfer(1, 2, '1') // takes the only connection, then waits for the lock
        await until(async () => {
          const { rows } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'`.execute(outside)
          return Number(rows[0]?.n) > 0
        })
        // One read waits in the queue of one; the other finds it full. Which is which depends on arrival.
        // (Different accounts: reads of one account would share a single flight and a single query.)
        const reads = [smallApi.get('/v1/accounts/1'), smallApi.get('/v1/accounts/2')]
        // While the lock is still held, one of them has already been answered: the rejection did not queue.
        const first = await Promise.race(reads)
        return { transfer, reads, first }
      })
      expect(first).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } })
      expect((await transfer).status).toBe(201)
      const statuses = (await Promise.all(reads)).map((reply) => reply.status).sort()
      expect(statuses).toEqual([200, 503])
    } finally {
      await outside.destroy()
      await small.stop()
    }
  })
})
