import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Money } from '../../src/domain/money.js'
import { type RedisServer, startRedisServer } from './support/redis-server.js'
import { client, createKey, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

// The oracle works in integer units of 10^-18 with BigInt, independently of the service's decimal.js.
const SCALE = 10n ** 18n
const toUnits = (text: string): bigint => {
  const [whole = '0', fraction = ''] = text.split('.')
  return BigInt(whole) * SCALE + BigInt(fraction.padEnd(18, '0'))
}

const ACCOUNTS = 24
const WORKERS = 40
const TRANSFERS_PER_WORKER = 30
const FIRST_ID = 100

// With authentication on, as in production: two API keys share the workload.
describe.each([
  { mode: 'one transaction per request, no cache', cached: false, batched: false, env: { BATCH_MAX_SIZE: '1', BATCH_MAX_IN_FLIGHT: '8' } },
  // One batch in flight: everything that arrives meanwhile waits for the next one, so batches grow large.
  { mode: 'in large batches, with the cache', cached: true, batched: true, env: { BATCH_MAX_IN_FLIGHT: '1' } },
])('concurrent transfers, $mode', ({ cached, batched, env }) => {
  let service: RunningService
  let api: ReturnType<typeof client>
  /** The workers' API keys: half send the service's, half another's, each with its own token bucket. */
  let callers: { id: string; api: ReturnType<typeof client> }[]
  let redisServer: RedisServer | undefined

  beforeAll(async () => {
    redisServer = cached ? await startRedisServer() : undefined
    service = await startService({
      databaseUrl: freshDatabaseUrl(cached ? 'concurrency_cached' : 'concurrency'),
      ...(redisServer ? { redisUrl: redisServer.url } : {}),
      env: { DB_POOL_SIZE: '16', ...env },
    })
    api = client(service)
    const other = await createKey(service.databaseUrl)
    callers = [
      { id: service.keyId as string, api },
      { id: other.id, api: client(service.baseUrl, other.text) },
    ]
  })
  afterAll(async () => {
    await service.stop()
    await redisServer?.stop()
  })

  it('conserve money exactly and match the acknowledged transfers account by account', async () => {
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => FIRST_ID + i)
    const initial = new Map<number, bigint>()
    for (const id of ids) {
      // Uneven balances with fractional parts, some small enough to run dry.
      const balance = `${(id * 37) % 200}.${String((id * 7919) % 1000).padStart(3, '0')}`
      expect((await api.createAccount(id, balance)).status).toBe(201)
      initial.set(id, toUnits(balance))
    }

    const net = new Map<number, bigint>(ids.map((id) => [id, 0n]))
    const statuses = new Map<number, number>()
    const acknowledged = new Map<string, { from: number; to: number; amount: string; by: string }>()
    const pick = () => ids[Math.floor(Math.random() * ids.length)] as number

    await Promise.all(
      Array.from({ length: WORKERS }, async (_, worker) => {
        const caller = callers[worker % callers.length] as (typeof callers)[number]
        for (let i = 0; i < TRANSFERS_PER_WORKER; i++) {
          const from = pick()
          let to = pick()
          while (to === from) to = pick()
          const amount = `${Math.floor(Math.random() * 40)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}1`
          const reply = await caller.api.transfer(from, to, amount)
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
          if (reply.status === 201) {
            acknowledged.set(reply.body.transfer_id, { from, to, amount, by: caller.id })
            net.set(from, (net.get(from) as bigint) - toUnits(amount))
            net.set(to, (net.get(to) as bigint) + toUnits(amount))
          }
        }
      }),
    )

    // Only success and a clean refusal are acceptable answers; both must actually occur.
    expect([...statuses.keys()].sort()).toEqual([201, 422])
    expect(statuses.get(201)).toBeGreaterThan(WORKERS * TRANSFERS_PER_WORKER * 0.3)

    let totalBefore = 0n
    let totalAfter = 0n
    const stored = new Map(
      (await service.db.selectFrom('accounts').select(['account_id', 'balance']).execute()).map((row) => [
        Number(row.account_id),
        Money.parse(row.balance)?.toString() ?? 'invalid',
      ]),
    )
    for (const id of ids) {
      const balance = toUnits(await api.balance(id))
      // What the API answers (from the cache, when on) is what MariaDB holds.
      expect(stored.get(id), `account ${id} in MariaDB`).toBe(await api.balance(id))
      const expected = (initial.get(id) as bigint) + (net.get(id) as bigint)
      expect(balance, `account ${id}`).toBe(expected)
      expect(balance >= 0n, `account ${id} is negative`).toBe(true)
      totalBefore += initial.get(id) as bigint
      totalAfter += balance
    }
    expect(totalAfter).toBe(totalBefore)

    // The ledger holds exactly the acknowledged transfers, each as it was answered, and by the key that asked.
    const rows = await service.db
      .selectFrom('transfers')
      .select(['transfer_id', 'source_account_id', 'destination_account_id', 'amount', 'created_by'])
      .where('status', '<>', 'opening')
      .execute()
    expect(rows).toHaveLength(statuses.get(201) ?? 0)
    for (const row of rows) {
      const sent = acknowledged.get(row.transfer_id)
      expect(sent, `transfer ${row.transfer_id} was never acknowledged`).toBeDefined()
      expect([Number(row.source_account_id), Number(row.destination_account_id), toUnits(row.amount), row.created_by]).toEqual([sent?.from, sent?.to, toUnits(sent?.amount ?? ''), sent?.by])
    }

    // The batches really were what this run set out to test.
    const { largest } = service.batches.summary()
    if (batched) expect(largest).toBeGreaterThanOrEqual(8)
    else expect(largest).toBe(1)
  })
})
