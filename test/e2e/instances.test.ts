import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { client, dropDatabase, freshDatabaseUrl } from './support/service.js'
import { type ServiceProcess, spawnService } from './support/service-process.js'

// Integer units of 10^-18 with BigInt: an oracle that shares no code with the service's decimal.js.
const SCALE = 10n ** 18n
const units = (text: string): bigint => {
  const [whole = '0', fraction = ''] = text.split('.')
  return BigInt(whole) * SCALE + BigInt(fraction.padEnd(18, '0'))
}

const databaseUrl = freshDatabaseUrl('instances')
let instances: ServiceProcess[]
let apis: ReturnType<typeof client>[]
const db = openDatabase(loadConfig({ DATABASE_URL: databaseUrl }).database)

beforeAll(async () => {
  // Two processes as `npm start` runs them, on one database; both migrate at start, racing.
  const env = { DATABASE_URL: databaseUrl, REDIS_KEY_PREFIX: `${new URL(databaseUrl).pathname.slice(1)}:` }
  instances = await Promise.all([spawnService(env), spawnService(env)])
  apis = instances.map((instance) => client(instance.baseUrl))
})
afterAll(async () => {
  for (const instance of instances ?? []) {
    instance.child.kill('SIGTERM')
    await instance.exited
  }
  await dropDatabase(db, databaseUrl)
  await db.destroy()
})

describe('two instances on one database', () => {
  it('keep an exact ledger under concurrent transfers sent to both', async () => {
    const ids = Array.from({ length: 16 }, (_, i) => 100 + i)
    const initial = new Map(ids.map((id) => [id, units('50.5')]))
    for (const id of ids) expect((await apis[id % 2]!.createAccount(id, '50.5')).status).toBe(201)

    const net = new Map(ids.map((id) => [id, 0n]))
    const acknowledged = new Set<string>()
    const statuses: number[] = []
    const pick = () => ids[Math.floor(Math.random() * ids.length)]!
    await Promise.all(
      Array.from({ length: 32 }, async (_, worker) => {
        for (let i = 0; i < 25; i++) {
          const from = pick()
          let to = pick()
          while (to === from) to = pick()
          const amount = `${Math.floor(Math.random() * 20)}.${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}1`
          const reply = await apis[worker % 2]!.transfer(from, to, amount)
          statuses.push(reply.status)
          if (reply.status !== 201) continue
          acknowledged.add(reply.body.transfer_id)
          net.set(from, net.get(from)! - units(amount))
          net.set(to, net.get(to)! + units(amount))
        }
      }),
    )
    expect([...new Set(statuses)].sort()).toEqual([201, 422])

    const rows = await db.selectFrom('accounts').select(['account_id', 'balance']).where('account_id', 'in', ids).execute()
    for (const row of rows) {
      const id = Number(row.account_id)
      expect(units(row.balance), `account ${id}`).toBe(initial.get(id)! + net.get(id)!)
      // Either instance answers what MariaDB holds: each refreshed the shared cache after its commits.
      for (const api of apis) expect(units(await api.balance(id)), `account ${id} via ${api === apis[0] ? 'A' : 'B'}`).toBe(initial.get(id)! + net.get(id)!)
    }
    const transfers = await db.selectFrom('transfers').select('transfer_id').where('status', '<>', 'opening').execute()
    expect(new Set(transfers.map((row) => row.transfer_id))).toEqual(acknowledged)
  })

  it('apply a request whose idempotency key races between them exactly once', async () => {
    const [a, b] = [900, 901]
    await apis[0]!.createAccount(a, '1000')
    await apis[1]!.createAccount(b, '0')
    const keys = Array.from({ length: 30 }, (_, i) => `race-${i}`)
    const replies = await Promise.all(
      keys.flatMap((key) =>
        apis.map((api) => api.post('/v1/transfers', { source_account_id: a, destination_account_id: b, amount: '3' }, { 'idempotency-key': key })),
      ),
    )
    const rows = await db.selectFrom('transfers').select('transfer_id').where('source_account_id', '=', a).where('status', '<>', 'opening').execute()
    expect(rows).toHaveLength(keys.length)
    const made = new Set(rows.map((row) => row.transfer_id))
    for (let i = 0; i < keys.length; i++) {
      const pair = [replies[2 * i]!, replies[2 * i + 1]!]
      // Both answer the one transfer (one of them replaying it), or the loser of the race is told to retry.
      for (const reply of pair) {
        if (reply.status === 409) expect(reply.body.code).toBe('IDEMPOTENCY_KEY_IN_USE')
        else expect(made.has(reply.body.transfer_id), JSON.stringify(reply.body)).toBe(true)
      }
      const created = pair.filter((reply) => reply.status === 201 && reply.headers.get('idempotent-replayed') === null)
      expect(created).toHaveLength(1)
    }
    expect(await apis[1]!.balance(b)).toBe('90')
  })
})
