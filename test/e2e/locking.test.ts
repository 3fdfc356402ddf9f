import { setTimeout as sleep } from 'node:timers/promises'
import { type MysqlPool, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPool } from '../../src/adapters/mariadb/database.js'
import { MariadbUnitOfWork } from '../../src/adapters/mariadb/unit-of-work.js'
import { createLedger } from '../../src/app/ledger.js'
import type { TransferCommand } from '../../src/domain/batch.js'
import { Money } from '../../src/domain/money.js'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { LockConflict } from '../../src/ports/errors.js'
import { ObservedUnitOfWork } from './support/observed-unit-of-work.js'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

let service: RunningService
let api: ReturnType<typeof client>
/** The service's own pool settings, with connections of the test's own. */
let pool: MysqlPool

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('locking'), env: { DB_LOCK_WAIT_TIMEOUT_S: '1' } })
  api = client(service)
  for (const id of [1, 2, 3, 4, 5, 6, 7, 8]) await api.createAccount(id, '100')
  pool = openPool(loadConfig({ DATABASE_URL: service.databaseUrl, DB_LOCK_WAIT_TIMEOUT_S: '1' }).database)
})
afterAll(async () => {
  await new Promise((resolve) => pool.end(resolve))
  await service.stop()
})

const money = (text: string) => Money.parse(text)!
const balance = async (id: number) => api.balance(id)
const transferRows = async (id: string) =>
  (await service.db.selectFrom('transfers').select('transfer_id').where('transfer_id', '=', id).execute()).length

/** One transfer from 1 to 2 of `amount`, written by the unit of work as the write path writes it. */
async function writeTransfer(unitOfWork: MariadbUnitOfWork, transferId: string, amount: string): Promise<void> {
  await unitOfWork.run(async (tx) => {
    const locked = await tx.accounts.lock([1, 2])
    const [a, b] = [locked.get(1)!, locked.get(2)!]
    tx.accounts.write([
      { before: a, after: { ...a, balance: a.balance.minus(money(amount)), version: a.version + 1 } },
      { before: b, after: { ...b, balance: b.balance.plus(money(amount)), version: b.version + 1 } },
    ])
    tx.transfers.insert([{ id: transferId, sourceAccountId: 1, destinationAccountId: 2, amount: money(amount), createdAt: new Date(), createdBy: null, status: 'posted', expiresAt: null, pendingTransferId: null, sourceBalanceAfter: null, destinationBalanceAfter: null }])
  })
}

/**
 * The pool, with its connections' packets rewritten on their way to the server: `rewrite` sees
 * each packet's SQL and returns what is really sent. Used to have the server end a transaction in
 * the middle of a packet, as a Galera cluster does when another node's write wins.
 */
function rewriting(inner: MysqlPool, rewrite: (sql: string) => string): MysqlPool {
  return {
    getConnection: (callback) =>
      inner.getConnection((error, connection) => {
        if (error) return callback(error, connection)
        callback(null, {
          ...connection,
          config: connection.config,
          threadId: connection.threadId,
          connect: (cb) => connection.connect(cb),
          destroy: () => connection.destroy(),
          release: () => connection.release(),
          query: (text, parameters, cb) => connection.query(rewrite(text), parameters, cb),
        })
      }),
    end: (callback) => inner.end(callback),
  }
}

describe('MariadbUnitOfWork', () => {
  it('reports a deadlock victim as LockConflict(deadlock) and keeps nothing of it', async () => {
    const unitOfWork = new MariadbUnitOfWork(pool)
    // Lock in opposite orders on purpose (the write path never does), so MariaDB must pick a victim.
    const crosswise = (first: number, second: number) =>
      unitOfWork
        .run(async (tx) => {
          await tx.accounts.lock([first])
          await sleep(200)
          await tx.accounts.lock([second])
          return 'committed'
        })
        .catch((error: unknown) => error)
    const results = await Promise.all([crosswise(3, 4), crosswise(4, 3)])
    expect(results).toContain('committed')
    expect(results.find((result) => result !== 'committed')).toMatchObject({ reason: 'deadlock', on: 'account' })
  })

  it('reports a lock wait that runs out as LockConflict(lock-wait) on the account', async () => {
    const unitOfWork = new MariadbUnitOfWork(pool)
    await service.db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = 3 FOR UPDATE`.execute(holder)
      const waiting = unitOfWork.run((tx) => tx.accounts.lock([3]))
      await expect(waiting).rejects.toEqual(new LockConflict('lock-wait', 'account'))
    })
  })

  it('locks what it can without waiting, and names the accounts another transaction holds', async () => {
    const unitOfWork = new MariadbUnitOfWork(pool)
    await service.db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = 4 FOR UPDATE`.execute(holder)
      const started = Date.now()
      const { locked, busy } = await unitOfWork.run((tx) => tx.accounts.lockAvailable([5, 4, 999]))
      expect([[...locked.keys()], [...busy]]).toEqual([[5], [4]])
      // A hang detector, not a speed claim: the lock wait is 1 s, and nothing waited for it.
      expect(Date.now() - started).toBeLessThan(900)
    })
  })

  it('rolls back everything when a write inside the COMMIT packet fails, including the writes before it', async () => {
    const unitOfWork = new MariadbUnitOfWork(pool)
    const before = [await balance(1), await balance(2)]
    await writeTransfer(unitOfWork, '00000000-0000-7000-8000-000000000001', '1')
    // The same transfer id again: the UPDATE of both balances runs, then the INSERT fails.
    await expect(writeTransfer(unitOfWork, '00000000-0000-7000-8000-000000000001', '5')).rejects.toMatchObject({ errno: 1062 })
    expect([await balance(1), await balance(2)]).toEqual([
      money(before[0]!).minus(money('1')).toString(),
      money(before[1]!).plus(money('1')).toString(),
    ])
  })

  it.each([
    ['before its writes are checked', 101, (text: string) => text.replace('INSERT INTO transfers', 'ROLLBACK;\nINSERT INTO transfers')],
    ['between the check and the COMMIT', 102, (text: string) => text.replace(/;\nCOMMIT;/, ';\nROLLBACK;\nCOMMIT;')],
  ])('finds out when the server ended the transaction %s, and leaves nothing half-applied', async (_when, n, rewrite) => {
    let armed = true
    const unitOfWork = new MariadbUnitOfWork(
      rewriting(pool, (text) => {
        if (!armed || !text.includes('COMMIT')) return text
        armed = false
        return rewrite(text)
      }),
    )
    const id = `00000000-0000-7000-8000-000000000${n}`
    const before = [await balance(1), await balance(2)]
    await expect(writeTransfer(unitOfWork, id, '3')).rejects.toEqual(new LockConflict('aborted', undefined))
    expect(armed).toBe(false)
    expect([await balance(1), await balance(2), await transferRows(id)]).toEqual([...before, 0])
    // The connection went back to the pool in autocommit: a plain write on it commits at once.
    await writeTransfer(unitOfWork, id, '3')
    expect(await transferRows(id)).toBe(1)
  })
})

describe('the write path over a server that ends a transaction mid-packet', () => {
  it('runs the batch again and applies every transfer exactly once', async () => {
    let aborts = 2
    const unitOfWork = new MariadbUnitOfWork(
      rewriting(pool, (text) => {
        if (aborts === 0 || !text.includes('COMMIT')) return text
        aborts--
        return text.replace('INSERT INTO transfers', 'ROLLBACK;\nINSERT INTO transfers')
      }),
    )
    const ledger = createLedger({
      unitOfWork,
      cache: { get: async () => undefined, put: async () => {} },
      clock: { now: () => new Date() },
      scope: { capture: () => undefined, enter: (_captured, work) => work() },
      retentionMs: 86_400_000,
      batching: { maxSize: 64, maxInFlight: 1, queueLimit: 100 },
      retry: { attempts: 3, baseDelayMs: 5 },
    })
    const before = [await balance(7), await balance(8)]
    const commands: TransferCommand[] = Array.from({ length: 20 }, (_, i) => ({
      kind: 'transfer',
      transferId: `00000000-0000-7000-8000-0000000002${String(i).padStart(2, '0')}`,
      sourceAccountId: 7,
      destinationAccountId: 8,
      amount: money('1.5'),
    }))
    const results = await Promise.all(commands.map((command) => ledger(command)))
    expect(results.every((result) => result.kind === 'applied')).toBe(true)
    expect(aborts).toBe(0)
    expect([await balance(7), await balance(8)]).toEqual([money(before[0]!).minus(money('30')).toString(), money(before[1]!).plus(money('30')).toString()])
    for (const command of commands) expect(await transferRows(command.transferId)).toBe(1)
  })
})

describe('a transfer whose accounts stay locked', () => {
  it('answers 503 after bounded lock waits and changes nothing', async () => {
    await service.db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = 6 FOR UPDATE`.execute(holder)
      const reply = await api.transfer(5, 6, '1')
      expect(reply).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } })
      expect(reply.body.detail).toContain('retry')
    })
    expect(await balance(5)).toBe('100')
    expect(await balance(6)).toBe('100')
  })

  it('completes once the lock is released within the wait bound', async () => {
    // Wrapped in an object: returning the bare promise would make the holder wait for the transfer.
    const { pending } = await service.db.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = 6 FOR UPDATE`.execute(holder)
      const pending = api.transfer(5, 6, '1')
      await sleep(300)
      return { pending }
    })
    const settled = await pending
    expect(settled.status).toBe(201)
    expect(await balance(5)).toBe('99')
    expect(await balance(6)).toBe('101')
  })
})

describe('a saturated write pool', () => {
  it('answers 503 at once, with Retry-After, to writes beyond the wait queue, serves the queued ones, and leaves reads their own pool', async () => {
    let observed: ObservedUnitOfWork | undefined
    const small = await startService({
      databaseUrl: freshDatabaseUrl('saturated'),
      env: {
        DB_POOL_SIZE: '1',
        DB_QUEUE_LIMIT: '1',
        BATCH_MAX_IN_FLIGHT: '3',
        DB_LOCK_WAIT_TIMEOUT_S: '20',
        DB_ACQUIRE_TIMEOUT_MS: '20000',
        DB_QUERY_TIMEOUT_MS: '30000',
        REQUEST_DEADLINE_MS: '60000',
      },
      decorateUnitOfWork: (inner) => (observed = new ObservedUnitOfWork(inner)),
    })
    // A connection of the test's own, outside the service's pools.
    const outside = openDatabase(loadConfig({ DATABASE_URL: small.databaseUrl }).database)
    try {
      const smallApi = client(small)
      for (const id of [1, 2, 3, 4, 5, 6]) await smallApi.createAccount(id, '10')
      const { transfer, others, first, read } = await outside.transaction().execute(async (holder) => {
        await sql`SELECT * FROM accounts WHERE account_id = 2 FOR UPDATE`.execute(holder)
        const locking = observed?.nextLockOf(2)
        const transfer = smallApi.transfer(1, 2, '1') // takes the only write connection, then waits for the lock
        // Told by the unit of work when the lock is sent (the server's lock tables, polled, proved
        // unreliable on a busy machine), then a moment for it to reach the server.
        await locking
        await sleep(150)
        // Two more batches: one waits in the queue of one; the other finds it full. Which is which depends on arrival.
        const others = [smallApi.transfer(3, 4, '1'), smallApi.transfer(5, 6, '1')]
        // While the lock is still held, one of them has already been answered: the rejection did not queue.
        const first = await Promise.race(others)
        // Reads have a pool of their own: the write that waits for a lock does not hold them up.
        const read = await smallApi.get('/v1/accounts/1')
        return { transfer, others, first, read }
      })
      expect(first).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } })
      expect(first.headers.get('retry-after')).toBe('1')
      expect(read).toMatchObject({ status: 200, body: { balance: '10' } })
      expect((await transfer).status).toBe(201)
      const statuses = (await Promise.all(others)).map((reply) => reply.status).sort()
      expect(statuses).toEqual([201, 503])
    } finally {
      await outside.destroy()
      await small.stop()
    }
  })
})
