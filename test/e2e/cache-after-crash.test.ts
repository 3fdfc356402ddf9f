import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ObservedUnitOfWork } from './support/observed-unit-of-work.js'
import { type RedisServer, startRedisServer } from './support/redis-server.js'
import { startServiceCachedIn } from './support/cached-service.js'
import { client, freshDatabaseUrl, type RunningService } from './support/service.js'

// A process that dies between a COMMIT and the cache refresh that follows it: the wrapped unit of
// work commits for real and then reports the commit's answer lost, so the ledger refreshes
// nothing, exactly as if the process had ended there. The cache then holds the balance from
// before the commit, which would stay until its key expires (REDIS_TTL_S, 300 s) unless repaired.

const databaseUrl = freshDatabaseUrl('cache_crash')
let redisServer: RedisServer
let first: RunningService
let losing: ObservedUnitOfWork
let api: ReturnType<typeof client>

beforeAll(async () => {
  redisServer = await startRedisServer()
  first = await startServiceCachedIn(redisServer, { databaseUrl, decorateUnitOfWork: (inner) => (losing = new ObservedUnitOfWork(inner)) })
  api = client(first)
  expect((await api.createAccount(1, '100')).status).toBe(201)
  expect((await api.createAccount(2, '0')).status).toBe(201)
})
afterAll(async () => {
  await first?.stop()
  await redisServer?.stop()
})

const transfer = (key: string) =>
  api.post('/v1/transfers', { source_account_id: 1, destination_account_id: 2, amount: '10' }, { 'idempotency-key': key })

/** The balance `reader` answers, once it equals `expected` or after `withinMs`. */
async function settles(reader: ReturnType<typeof client>, id: number, expected: string, withinMs: number): Promise<string> {
  const until = performance.now() + withinMs
  for (;;) {
    const balance = await reader.balance(id)
    if (balance === expected || performance.now() > until) return balance
    await sleep(100)
  }
}

/** Commits a transfer of 10 from 1 to 2 under `key` and loses its refresh; checks that the cache is stale. */
async function commitAndLoseTheRefresh(key: string, cachedBefore: string, committedAfter: string): Promise<void> {
  expect(await api.balance(1)).toBe(cachedBefore) // fills the cache
  losing.loseNextCommit('committed')
  expect((await transfer(key)).body.code).toBe('COMMIT_OUTCOME_UNKNOWN')
  const row = await first.db.selectFrom('accounts').select('balance').where('account_id', '=', 1).executeTakeFirstOrThrow()
  expect(String(row.balance)).toMatch(new RegExp(`^${committedAfter}(\\.0+)?$`))
  // The gap: MariaDB holds the transfer, the cache does not.
  expect(await api.balance(1)).toBe(cachedBefore)
}

describe('the account cache after a commit whose refresh was lost', () => {
  it('converges on the keyed re-send that replays the committed transfer', async () => {
    await commitAndLoseTheRefresh('crash-1', '100', '90')
    const replay = await transfer('crash-1')
    expect(replay.status).toBe(201)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    // The replay answers once its accounts are refreshed: the next read sees the committed balance.
    expect(await api.balance(1)).toBe('90')
    expect(await api.balance(2)).toBe('10')
  })

  it('converges within a few seconds when a service process starts again, without any re-send', async () => {
    await commitAndLoseTheRefresh('crash-2', '90', '80')
    const restarted = await startServiceCachedIn(redisServer, { databaseUrl })
    try {
      // The new process cleared the namespace before serving reads from it: both processes read 80.
      expect(await settles(client(restarted), 1, '80', 3000)).toBe('80')
      expect(await settles(api, 1, '80', 3000)).toBe('80')
      // And the ledger is exact: the one transfer under each key, nothing else.
      expect(await api.balance(2)).toBe('20')
      expect((await transfer('crash-2')).headers.get('idempotent-replayed')).toBe('true')
      expect(await api.balance(1)).toBe('80')
    } finally {
      await restarted.stop()
    }
  })
})
