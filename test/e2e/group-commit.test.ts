import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { ObservedUnitOfWork } from './support/observed-unit-of-work.js'
import { client, freshDatabaseUrl, type Reply, type RunningService, startService } from './support/service.js'

let service: RunningService
let api: ReturnType<typeof client>
let losing: ObservedUnitOfWork
let nextId = 1

beforeAll(async () => {
  service = await startService({
    databaseUrl: freshDatabaseUrl('group_commit'),
    // One batch in flight: whatever arrives while it runs travels in the next one, so batches are large.
    env: { BATCH_MAX_IN_FLIGHT: '1', DB_LOCK_WAIT_TIMEOUT_S: '1' },
    decorateUnitOfWork: (inner) => (losing = new ObservedUnitOfWork(inner)),
  })
  api = client(service)
})
afterAll(() => service.stop())

/** `count` fresh accounts holding `balance` each. */
async function accounts(count: number, balance = '100'): Promise<number[]> {
  const ids = Array.from({ length: count }, () => nextId++)
  for (const id of ids) expect((await api.createAccount(id, balance)).status).toBe(201)
  return ids
}

const body = (from: number, to: number, amount: string) => ({ source_account_id: from, destination_account_id: to, amount })
const keyed = (key: string) => ({ 'idempotency-key': key })
const transfersFrom = async (ids: number[]) =>
  Number(
    (await service.db.selectFrom('transfers').select((eb) => eb.fn.countAll<number>().as('n')).where('source_account_id', 'in', ids).where('status', '<>', 'opening').executeTakeFirstOrThrow()).n,
  )
const retries = () => service.batches.summary().retries

/** A transfer between two accounts of its own, to keep a batch busy. */
async function bystanders(count: number): Promise<{ send: () => Promise<Reply[]>; ids: number[] }> {
  const ids = await accounts(count * 2)
  return { ids, send: () => Promise.all(Array.from({ length: count }, (_, i) => api.transfer(ids[2 * i]!, ids[2 * i + 1]!, '1'))) }
}

describe('the seed hot pair', () => {
  it('moves 10,000 concurrent transfers of "1" from 1001 to 1002: exactly 40000 and 10000', async () => {
    expect((await api.createAccount(1001, '50000')).status).toBe(201)
    expect((await api.createAccount(1002, '0')).status).toBe(201)
    const statuses = new Map<number, number>()
    let sent = 0
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (sent++ < 10_000) {
          const reply = await api.transfer(1001, 1002, '1')
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
        }
      }),
    )
    expect(Object.fromEntries(statuses)).toEqual({ 201: 10_000 })
    expect([await api.balance(1001), await api.balance(1002)]).toEqual(['40000', '10000'])
    const rows = await service.db.selectFrom('transfers').select((eb) => eb.fn.countAll<number>().as('n')).where('source_account_id', '=', 1001).where('status', '<>', 'opening').executeTakeFirstOrThrow()
    expect(Number(rows.n)).toBe(10_000)
    expect(service.batches.summary().largest).toBeGreaterThan(8)
  }, 120_000)
})

describe('a request that fails its batch', () => {
  it('fails alone: the other requests of its batch commit', async () => {
    // A real constraint in the database, met by one amount only: the multi-row INSERT of its batch fails.
    await sql.raw(
      "CREATE TRIGGER poison BEFORE INSERT ON transfers FOR EACH ROW BEGIN IF NEW.amount = 13.13 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'test: poisoned'; END IF; END",
    ).execute(service.db)
    try {
      const [a, b] = await accounts(2)
      const traffic = await bystanders(20)
      const isolatedBefore = retries().isolated
      const [others, poisoned] = await inOneBatch(() => Promise.all([traffic.send(), api.transfer(a!, b!, '13.13')]))
      expect(poisoned).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR' } })
      expect(poisoned.text).not.toContain('poisoned')
      expect(others.map((reply) => reply.status)).toEqual(others.map(() => 201))
      expect([await api.balance(a!), await api.balance(b!)]).toEqual(['100', '100'])
      for (let i = 0; i < 20; i++) expect(await api.balance(traffic.ids[2 * i]!)).toBe('99')
      // It did share a batch, and that batch was split.
      expect(retries().isolated).toBeGreaterThan(isolatedBefore)
    } finally {
      await sql.raw('DROP TRIGGER poison').execute(service.db)
    }
  })
})

describe('a deadlock with another transaction', () => {
  it('runs the batch again: every request commits once', async () => {
    const [a, b] = await accounts(2)
    const traffic = await bystanders(10)
    const outside = openDatabase(loadConfig({ DATABASE_URL: service.databaseUrl }).database)
    const deadlocksBefore = retries().deadlock
    try {
      const { replies } = await outside.transaction().execute(async (holder) => {
        // Weigh the outside transaction down, so that InnoDB picks the service's as the victim.
        await sql.raw(`INSERT INTO accounts (account_id, balance) VALUES ${Array.from({ length: 300 }, (_, i) => `(${900_000 + i}, 0)`).join(', ')}`).execute(holder)
        await sql`SELECT * FROM accounts WHERE account_id = ${b} FOR UPDATE`.execute(holder)
        // The batch locks a, then waits for b; this transaction then asks for a: a cycle.
        const locking = losing.nextLockOf(b!)
        const replies = Promise.all([api.transfer(a!, b!, '5'), traffic.send()])
        await lockWaiting(locking)
        await sql`SELECT * FROM accounts WHERE account_id = ${a} FOR UPDATE`.execute(holder)
        await sql`DELETE FROM accounts WHERE account_id >= 900000`.execute(holder)
        return { replies }
      })
      const [alone, others] = await replies
      expect(alone.status).toBe(201)
      expect(others.map((reply) => reply.status)).toEqual(others.map(() => 201))
      expect([await api.balance(a!), await api.balance(b!)]).toEqual(['95', '105'])
      expect(retries().deadlock).toBeGreaterThan(deadlocksBefore)
    } finally {
      await outside.destroy()
    }
  })
})

describe('an account locked from outside past the lock wait', () => {
  it('holds back only the requests that need it: the rest of its batch commits while it is still locked', async () => {
    const [a, b] = await accounts(2)
    const traffic = await bystanders(20)
    const outside = openDatabase(loadConfig({ DATABASE_URL: service.databaseUrl }).database)
    try {
      const { locked, others, answeredWhileLocked } = await outside.transaction().execute(async (holder) => {
        await sql`SELECT * FROM accounts WHERE account_id = ${b} FOR UPDATE`.execute(holder)
        const locking = losing.nextLockOf(b!)
        const locked = api.transfer(a!, b!, '5')
        await lockWaiting(locking)
        const others = await traffic.send()
        // The lock is still held here: nobody else waited for it to go.
        const answeredWhileLocked = others.length
        // Past the service's lock waits (1 s each): the locked request has given up by now.
        await locked
        return { locked: await locked, others, answeredWhileLocked }
      })
      expect(answeredWhileLocked).toBe(20)
      expect(others.map((reply) => reply.status)).toEqual(others.map(() => 201))
      expect(locked).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } })
      expect([await api.balance(a!), await api.balance(b!)]).toEqual(['100', '100'])
    } finally {
      await outside.destroy()
    }
  })
})

describe('a batch whose COMMIT answer is lost', () => {
  it.each(['committed', 'rolled back'] as const)('answers each of its requests 503 COMMIT_OUTCOME_UNKNOWN; keyed retries settle each once (%s)', async (outcome) => {
    const ids = await accounts(20)
    const requests = Array.from({ length: 10 }, (_, i) => ({ key: `lost-batch-${outcome.replace(' ', '-')}-${i}`, body: body(ids[2 * i]!, ids[2 * i + 1]!, '7') }))
    // The first transaction that writes several transfers loses its answer.
    losing.loseNextCommit(outcome, 2)
    const first = await inOneBatch(() => Promise.all(requests.map(({ key, body }) => api.post('/v1/transfers', body, keyed(key))))).finally(() =>
      losing.disarm(),
    )
    const unknown = first.filter((reply) => reply.status === 503)
    expect(unknown.length).toBeGreaterThanOrEqual(2)
    for (const reply of unknown) expect(reply.body.code).toBe('COMMIT_OUTCOME_UNKNOWN')
    expect(first.filter((reply) => reply.status !== 503).map((reply) => reply.status)).toEqual(first.filter((r) => r.status !== 503).map(() => 201))

    const retried = await Promise.all(requests.map(({ key, body }) => api.post('/v1/transfers', body, keyed(key))))
    expect(retried.map((reply) => reply.status)).toEqual(requests.map(() => 201))
    retried.forEach((reply, i) => {
      // Replayed: answered before, or committed by the batch whose answer was lost.
      const answeredBefore = first[i]?.status === 201
      expect(reply.headers.get('idempotent-replayed')).toBe(answeredBefore || outcome === 'committed' ? 'true' : null)
    })
    expect(await transfersFrom(ids)).toBe(10)
    for (let i = 0; i < 10; i++) expect(await api.balance(ids[2 * i]!)).toBe('93')
  })
})

describe('the same idempotency key twice at once', () => {
  it('applies one request and replays its answer, byte for byte, to the other', async () => {
    const [a, b] = await accounts(2)
    const traffic = await bystanders(10)
    const [first, second] = await inOneBatch(() =>
      Promise.all([
        api.post('/v1/transfers', body(a!, b!, '9'), keyed('twice')),
        api.post('/v1/transfers', body(a!, b!, '9'), keyed('twice')),
        traffic.send(),
      ]),
    )
    expect([first.status, second.status]).toEqual([201, 201])
    expect(second.text).toBe(first.text)
    expect([first.headers.get('idempotent-replayed'), second.headers.get('idempotent-replayed')].sort()).toEqual(['true', null].sort())
    expect(await api.balance(a!)).toBe('91')
  })
})

/**
 * Runs `send` while the write path is held up, so that what it sends travels in one batch: a plug
 * transfer whose account is locked from outside takes the only batch slot and waits; what `send`
 * sends meanwhile queues behind it; the lock is then let go, and the queue leaves together.
 */
async function inOneBatch<T>(send: () => Promise<T>): Promise<T> {
  const [plug, sink] = await accounts(2)
  const outside = openDatabase(loadConfig({ DATABASE_URL: service.databaseUrl }).database)
  try {
    const { plugged, sent } = await outside.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id = ${plug} FOR UPDATE`.execute(holder)
      const locking = losing.nextLockOf(plug!)
      const plugged = api.transfer(plug!, sink!, '1')
      await lockWaiting(locking)
      const sent = send()
      // Long enough for the requests to reach the queue, well within the 1 s lock wait.
      await sleep(250)
      return { plugged, sent }
    })
    expect((await plugged).status).toBe(201)
    return await sent
  } finally {
    await outside.destroy()
  }
}

/**
 * Until the service has sent a lock that another transaction holds, and some more, so that it is
 * waiting at the server (the service's lock wait is 1 s). Told by the unit of work itself:
 * polling the server's lock tables proved unreliable on a busy machine.
 */
async function lockWaiting(sent: Promise<void>): Promise<void> {
  await sent
  await sleep(150)
}
