import { Cluster, Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { client, freshDatabaseUrl, type RunningService, startService } from '../e2e/support/service.js'
import { type BankRun, expectCacheCoherent, expectedBalances, openAccounts, sendTransfers, units } from './support/bank.js'
import { type RedisClusterSetup, type SentinelSetup, startRedisCluster, startSentinels } from './support/redis-topologies.js'

let service: RunningService | undefined
let sentinels: SentinelSetup | undefined
let redisCluster: RedisClusterSetup | undefined
afterAll(async () => {
  await service?.stop()
  await sentinels?.stop()
  await redisCluster?.stop()
})

/** Every account's key holds "<version>:<balance>" with the balance the ledger says. */
async function expectKeysHold(run: BankRun, read: (key: string) => Promise<string | null>, prefix: string): Promise<void> {
  const expected = expectedBalances(run)
  for (const id of run.ids) {
    const value = await read(`${prefix}account:${id}`)
    expect(value, `key of account ${id}`).toMatch(/^\d+:/)
    expect(units(String(value).split(':')[1] as string), `cached balance of ${id}`).toBe(expected.get(id))
  }
}

describe('the account cache beyond one Redis', () => {
  it('through Sentinel: refreshed on the master, and again on the replica the sentinels promote when the master is killed', async () => {
    sentinels = await startSentinels()
    const databaseUrl = freshDatabaseUrl('sentinel')
    const prefix = `${new URL(databaseUrl).pathname.slice(1)}:`
    service = await startService({ databaseUrl, env: { REDIS_URL: sentinels.url, DB_POOL_SIZE: '16' } })
    const api = client(service)
    const accounts = await openAccounts(api, 100, 16)

    const before = await sendTransfers({ apis: [api], accounts, workers: 16, perWorker: 15 })
    const first = new Redis({ port: await sentinels.masterPort(), host: '127.0.0.1' })
    await expectKeysHold(before, (key) => first.get(key), prefix)
    first.disconnect()
    await expectCacheCoherent(before, [api])

    const promoted = await sentinels.killMaster()
    // Transfers never needed Redis; the cache finds the new master through the sentinels.
    const after = await sendTransfers({ apis: [api], accounts: { ids: accounts.ids, initial: expectedBalances(before) }, workers: 16, perWorker: 15 })
    for (const answer of after.answers.keys()) expect(['201', '422 INSUFFICIENT_FUNDS']).toContain(answer)
    await expect.poll(() => service?.cache?.unsettledIds().length, { timeout: 20_000 }).toBe(0)
    const second = new Redis({ port: promoted, host: '127.0.0.1' })
    await expectKeysHold(after, (key) => second.get(key), prefix)
    second.disconnect()
    await expectCacheCoherent(after, [api])
    await service.stop()
    service = undefined
  })

  it('in a Redis Cluster: the set-if-newer script runs once per key, so keys of different slots are written', async () => {
    redisCluster = await startRedisCluster()
    const databaseUrl = freshDatabaseUrl('redis_cluster')
    const prefix = `${new URL(databaseUrl).pathname.slice(1)}:`
    service = await startService({ databaseUrl, env: { REDIS_URL: redisCluster.url, DB_POOL_SIZE: '16' } })
    const api = client(service)
    const accounts = await openAccounts(api, 100, 16)
    const run = await sendTransfers({ apis: [api], accounts, workers: 16, perWorker: 15 })
    // A refresh that missed the 50 ms command timeout (a busy machine) is repaired in the background.
    await expect.poll(() => service?.cache?.unsettledIds().length, { timeout: 20_000 }).toBe(0)
    const inspector = new Cluster(redisCluster.ports.map((port) => ({ host: '127.0.0.1', port })))
    try {
      await expectKeysHold(run, (key) => inspector.get(key), prefix)
      // The keys really are spread over the cluster's nodes.
      const perNode = await Promise.all(inspector.nodes('master').map((node) => node.dbsize()))
      expect(perNode.filter((size) => size > 0).length).toBeGreaterThan(1)
    } finally {
      inspector.disconnect()
    }
    await expectCacheCoherent(run, [api])
  })
})
