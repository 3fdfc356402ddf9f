import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Money } from '../../src/domain/money.js'
import { CountingRecords } from './support/counting-records.js'
import { type RedisServer, startRedisServer } from './support/redis-server.js'
import { startServiceCachedIn } from './support/cached-service.js'
import { client, freshDatabaseUrl, type RunningService } from './support/service.js'

let redisServer: RedisServer
let service: RunningService
let store: CountingRecords
let api: ReturnType<typeof client>

beforeAll(async () => {
  redisServer = await startRedisServer()
  console.log(`[e2e] Redis: ${redisServer.description}`)
  service = await startServiceCachedIn(redisServer, {
    databaseUrl: freshDatabaseUrl('cache'),
    decorateAccountRecords: (inner) => (store = new CountingRecords(inner)),
  })
  api = client(service)
})
afterAll(async () => {
  await service.stop()
  await redisServer.stop()
})

const keyOf = (id: number) => service.cache?.key(id) ?? ''
const cached = (id: number) => service.redis?.get(keyOf(id))

/** What MariaDB holds, in the cache's "<version>:<balance>" form. */
async function committed(id: number): Promise<string> {
  const row = await service.db
    .selectFrom('accounts')
    .select(['version', 'balance', 'pending_debits', 'pending_credits'])
    .where('account_id', '=', id)
    .executeTakeFirstOrThrow()
  const amounts = [row.balance, row.pending_debits, row.pending_credits].map((text) => Money.parse(text)?.toString())
  return `${Number(row.version)}:${amounts.join(':')}`
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

describe('cache-aside reads', () => {
  it('caches a created account and serves repeated reads without MariaDB', async () => {
    await api.createAccount(1, '500')
    expect(await cached(1)).toBe('0:500:0:0')
    const before = store.reads
    for (let i = 0; i < 5; i++) expect(await api.balance(1)).toBe('500')
    expect(store.reads).toBe(before)
  })

  it('fills the cache on a miss with one read', async () => {
    await api.createAccount(2, '7.5')
    await service.redis?.del(keyOf(2))
    const before = store.reads
    expect(await api.balance(2)).toBe('7.5')
    expect(await api.balance(2)).toBe('7.5')
    expect(store.reads - before).toBe(1)
    expect(await cached(2)).toBe('0:7.5:0:0')
  })

  it('coalesces 200 concurrent GETs of a cold account into exactly one MariaDB read', async () => {
    await api.createAccount(3, '42')
    await service.redis?.del(keyOf(3))
    const before = store.reads
    const replies = await Promise.all(Array.from({ length: 200 }, () => api.get('/v1/accounts/3')))
    expect(replies.every((reply) => reply.status === 200 && reply.body.balance === '42')).toBe(true)
    expect(store.reads - before).toBe(1)
  })
})

describe('freshness', () => {
  it('refreshes both accounts with their new versions after a transfer commits (read-your-writes)', async () => {
    await api.createAccount(10, '100')
    await api.createAccount(11, '0')
    const reads = store.reads
    expect((await api.transfer(10, 11, '30')).status).toBe(201)
    // The transfer read its accounts under its own locks, not through the cache's reads.
    expect(store.reads).toBe(reads)
    expect(await cached(10)).toBe('1:70:0:0')
    expect(await cached(11)).toBe('1:30:0:0')
    expect(await api.balance(10)).toBe('70')
    expect(await api.balance(11)).toBe('30')
  })

  it('decides on the locked rows, not a cached copy that is behind: refuses if the money has gone since', async () => {
    await api.createAccount(40, '100')
    await api.createAccount(41, '0')
    expect((await api.transfer(40, 41, '80')).status).toBe(201)
    await service.redis?.set(keyOf(40), '0:100:0:0') // a copy from before that transfer

    const refused = await api.transfer(40, 41, '50')
    expect(refused).toMatchObject({ status: 422, body: { code: 'INSUFFICIENT_FUNDS' } })
    expect([await committed(40), await committed(41)]).toEqual(['1:20:0:0', '1:80:0:0'])
  })

  it('decides on the locked rows, not a cached copy that is behind: does not refuse money that arrived since', async () => {
    await api.createAccount(42, '100')
    await api.createAccount(43, '0')
    await api.createAccount(44, '500')
    expect((await api.transfer(44, 42, '400')).status).toBe(201)
    await service.redis?.set(keyOf(42), '0:100:0:0') // a copy from before that credit

    expect((await api.transfer(42, 43, '300')).status).toBe(201)
    expect([await committed(42), await committed(43)]).toEqual(['2:200:0:0', '1:300:0:0'])
    expect(await cached(42)).toBe('2:200:0:0')
  })

  it('keeps the newer balance when a slow miss-fill lands after a transfer (deterministic race)', async () => {
    await api.createAccount(20, '100')
    await api.createAccount(21, '0')
    await service.redis?.del(keyOf(20))

    store.holdReads()
    const before = store.reads
    const slowRead = api.get('/v1/accounts/20')
    await until(() => store.reads > before, 'the miss to reach MariaDB') // it has read version 0
    expect((await api.transfer(20, 21, '1')).status).toBe(201) // commits version 1, refreshes Redis
    expect(await cached(20)).toBe('1:99:0:0')
    store.releaseReads() // the held fill now tries to write version 0
    expect((await slowRead).body.balance).toBe('100')

    expect(await cached(20)).toBe('1:99:0:0')
    expect(await api.balance(20)).toBe('99')
  })

  it('resolves refreshes that arrive out of order to the newest', async () => {
    const cache = service.cache
    if (!cache) throw new Error('the cache should be on')
    const snapshot = (version: number, balance: string) => ({ id: 30, balance: Money.parse(balance)!, pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version })
    await cache.put([snapshot(5, '50')])
    await cache.put([snapshot(3, '30')])
    await cache.put([snapshot(4, '40')])
    expect(await cached(30)).toBe('5:50:0:0')
    await cache.put([snapshot(6, '60')])
    expect(await cached(30)).toBe('6:60:0:0')
  })

  it('sets a TTL with jitter on every key', async () => {
    const ttls = await Promise.all([1, 2, 3, 10, 11].map((id) => service.redis?.pttl(keyOf(id))))
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(250_000)
      expect(ttl).toBeLessThanOrEqual(330_000)
    }
  })
})

describe('under concurrent load', () => {
  const ids = Array.from({ length: 20 }, (_, i) => 100 + i)

  /** Random transfers and reads from `workers` workers until `running()` turns false. */
  async function workload(workers: number, running: () => boolean) {
    const replies: { kind: 'transfer' | 'read'; status: number; ms: number; at: number }[] = []
    const pick = () => ids[Math.floor(Math.random() * ids.length)] as number
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (running()) {
          const started = Date.now()
          if (Math.random() < 0.5) {
            const from = pick()
            let to = pick()
            while (to === from) to = pick()
            const reply = await api.transfer(from, to, '1.25')
            replies.push({ kind: 'transfer', status: reply.status, ms: Date.now() - started, at: started })
          } else {
            const reply = await api.get(`/v1/accounts/${pick()}`)
            replies.push({ kind: 'read', status: reply.status, ms: Date.now() - started, at: started })
          }
        }
      }),
    )
    return replies
  }

  /**
   * Transfers succeed (or are refused for funds) and reads answer 200 throughout; both kinds were
   * really sent during `window`, and no request of the workload took `boundMs` or longer.
   */
  function expectServedThroughout(replies: Awaited<ReturnType<typeof workload>>, window: { from: number; to: number }, boundMs: number) {
    const during = replies.filter((r) => r.at >= window.from && r.at < window.to)
    expect(during.filter((r) => r.kind === 'transfer').length).toBeGreaterThan(10)
    expect(during.filter((r) => r.kind === 'read').length).toBeGreaterThan(10)
    expect(replies.filter((r) => r.kind === 'transfer' && r.status !== 201 && r.status !== 422)).toEqual([])
    expect(replies.filter((r) => r.kind === 'read' && r.status !== 200)).toEqual([])
    expect(Math.max(...replies.map((r) => r.ms))).toBeLessThan(boundMs)
  }

  async function expectCacheMatchesDatabase() {
    await until(() => (service.cache?.unsettledIds().length ?? 0) === 0, 'unsettled cache writes to land')
    for (const id of ids) {
      const value = await cached(id)
      if (value !== null) expect(value, `account ${id}`).toBe(await committed(id))
    }
  }

  beforeAll(async () => {
    for (const id of ids) await api.createAccount(id, '1000')
  })

  it('leaves every cached balance equal to MariaDB after random transfers and reads', async () => {
    let remaining = 600
    const replies = await workload(32, () => remaining-- > 0)
    expect(replies.filter((r) => r.kind === 'transfer' && r.status !== 201 && r.status !== 422)).toEqual([])
    expect(replies.filter((r) => r.kind === 'read' && r.status !== 200)).toEqual([])
    expect(replies.filter((r) => r.status === 201).length).toBeGreaterThan(100)
    for (const id of ids) expect(await cached(id), `account ${id} should be cached`).not.toBeNull()
    await expectCacheMatchesDatabase()
  })

  it('keeps answering from MariaDB while Redis stalls, each request within the command timeout bound', async () => {
    let stop = false
    const load = workload(16, () => !stop)
    await sleep(300)
    const stalled = { from: Date.now(), to: 0 }
    await redisServer.stall(1500) // connections stay open; commands get no answer
    stalled.to = Date.now()
    await sleep(500)
    stop = true
    const replies = await load

    // A hang detector, not a speed claim: nobody waited for the stall to end.
    expectServedThroughout(replies, stalled, 1000)
    await expectCacheMatchesDatabase()
  })

  it('keeps answering from MariaDB while Redis is killed, and converges once it is back', async () => {
    let phase: 'before' | 'down' | 'after' = 'before'
    const outage = { from: 0, to: 0 }
    let stop = false
    const load = workload(16, () => !stop)

    await sleep(500)
    outage.from = Date.now()
    await redisServer.kill()
    phase = 'down'
    await sleep(300)
    expect(await api.get('/readyz')).toMatchObject({ status: 200 })
    await sleep(700)
    await redisServer.restart()
    outage.to = Date.now()
    phase = 'after'
    await sleep(1500)
    stop = true
    const replies = await load
    expect(phase).toBe('after')

    // A hang detector, not a speed claim: with a 150 ms command timeout nobody waits on Redis for long.
    expectServedThroughout(replies, outage, 2000)

    // Reconnected: reads fill the cache again and everything cached agrees with MariaDB.
    await expectCacheMatchesDatabase()
    for (const id of ids) await api.balance(id)
    for (const id of ids) expect(await cached(id), `account ${id} should be cached again`).not.toBeNull()
    await expectCacheMatchesDatabase()
  })
})
