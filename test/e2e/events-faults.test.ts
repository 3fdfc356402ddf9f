import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { eventsEnv, eventually, inspector, lastStates, type NatsServer, type RelayProcess, spawnRelay, startNatsServer, type StoredEvent } from './support/nats.js'
import { client, freshDatabaseUrl, openAccounts, type Reply, type RunningService, startService } from './support/service.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

/** Events waiting in the outbox (a row holds a transaction's). */
const outboxEvents = async (service: RunningService) => Number((await sql<{ n: string }>`SELECT COALESCE(SUM(event_count), 0) AS n FROM outbox`.execute(service.db)).rows[0]?.n)

/** `workers` clients sending transfers between `ids` until `stop()`; every reply is kept. */
function load(api: ReturnType<typeof client>, ids: number[], workers: number) {
  const replies: Reply[] = []
  let running = true
  let i = 0
  const done = Promise.all(
    Array.from({ length: workers }, async () => {
      while (running) {
        const n = i++
        const from = ids[n % ids.length]!
        const to = ids[(n + 1 + (n % (ids.length - 1))) % ids.length]!
        replies.push(await api.transfer(from, to, String(1 + (n % 4))))
      }
    }),
  )
  return {
    replies,
    stop: async () => {
      running = false
      await done
      return replies
    },
  }
}

/** What every fault test ends with: each acknowledged transfer in the stream exactly once, each account in order, balances as the API's. */
async function checkStream(events: StoredEvent[], api: ReturnType<typeof client>, ids: number[], replies: Reply[]): Promise<void> {
  const posted = replies.filter((reply) => reply.status === 201).map((reply) => reply.body.transfer_id as string)
  expect(new Set(events.map((event) => event.body.id)).size).toBe(events.length)
  expect(events.filter((event) => event.body.type === 'transfer.posted').map((event) => event.body.transfer_id).sort()).toEqual(posted.sort())
  const states = lastStates(events)
  for (const id of ids) expect(states.get(id)?.balance, `account ${id}`).toBe((await api.get(`/v1/accounts/${id}`)).body.balance)
}

/**
 * A NATS server of the test's own (so it can be killed), a service publishing to it with `extra`
 * settings, and accounts 1…`accounts` opened with "100" each; all stopped after the test.
 */
async function withPrivateNats(label: string, extra: Record<string, string>, accounts: number) {
  const server: NatsServer = await startNatsServer()
  cleanups.push(() => server.stop())
  const env: Record<string, string> = { ...eventsEnv(label, server.url), ...extra }
  const service = await startService({ databaseUrl: freshDatabaseUrl(`events_${label}`), env })
  cleanups.push(() => service.stop())
  const api = client(service)
  const ids = Array.from({ length: accounts }, (_, i) => 1 + i)
  await openAccounts(api, ids, '100')
  return { server, env, service, api, ids }
}

describe('events when NATS goes away', () => {
  it('keeps answering transfers while NATS is down, then catches up, each account in order, nothing lost', async () => {
    const { server, env, service, api, ids } = await withPrivateNats('nats_down', {}, 10)

    const traffic = load(api, ids, 16)
    await sleep(500)
    await server.kill()
    const killedAt = traffic.replies.length
    await sleep(2_000)
    const duringOutage = traffic.replies.length - killedAt
    const backlog = await outboxEvents(service)
    await server.restart()
    await sleep(500)
    const replies = await traffic.stop()

    // Transfers went on while NATS was down, and waited in the outbox.
    expect(duringOutage).toBeGreaterThan(0)
    expect(backlog).toBeGreaterThan(0)
    expect(replies.every((reply) => reply.status === 201 || reply.status === 422)).toBe(true)

    const nats = await inspector(server.url)
    cleanups.push(() => nats.close())
    const expected = ids.length + replies.filter((reply) => reply.status === 201).length
    await eventually('the stream to catch up', async () => (await outboxEvents(service)) === 0 && (await nats.count(env.NATS_STREAM!)) >= expected, 60_000)
    const events = await nats.events(env.NATS_STREAM!)
    expect(events).toHaveLength(expected)
    await checkStream(events, api, ids, replies)
  })
})

describe('the relay killed mid-stream', () => {
  it('loses nothing when killed (-9) and restarted as two relays at once: re-sent events are dropped by the duplicate window', async () => {
    // Small rounds, so a kill lands between a publish and its delete more often than not.
    const { server, env, service, api, ids } = await withPrivateNats('relay_kill', { EVENTS_RELAY: 'off', EVENTS_RELAY_BATCH: '20' }, 8)
    const traffic = load(api, ids, 16)
    await eventually('a backlog in the outbox', async () => (await outboxEvents(service)) >= 1_500, 60_000)

    const nats = await inspector(server.url)
    cleanups.push(() => nats.close())
    const relayEnv = { ...env, DATABASE_URL: service.databaseUrl, EVENTS_RELAY: 'in-process' }
    const relays: RelayProcess[] = []
    const spawn = async () => {
      const relay = await spawnRelay(relayEnv)
      relays.push(relay)
      cleanups.push(() => relay.kill())
      return relay
    }
    const first = await spawn()
    await eventually('the first events published', async () => (await nats.count(env.NATS_STREAM!)) > 0)
    await first.kill()
    const publishedBeforeKill = await nats.count(env.NATS_STREAM!)
    expect(await outboxEvents(service)).toBeGreaterThan(0)

    // Two relays at once, while transfers still arrive: one holds the outbox, the other stands by.
    await Promise.all([spawn(), spawn()])
    await sleep(1_000)
    const replies = await traffic.stop()
    const expected = ids.length + replies.filter((reply) => reply.status === 201).length
    await eventually('the stream to catch up', async () => (await outboxEvents(service)) === 0 && (await nats.count(env.NATS_STREAM!)) >= expected, 60_000)
    for (const relay of relays.slice(1)) expect(await relay.stop()).toBe(0)

    const events = await nats.events(env.NATS_STREAM!)
    expect(publishedBeforeKill).toBeLessThan(expected)
    expect(events).toHaveLength(expected)
    await checkStream(events, api, ids, replies)
  })
})
