import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { RedisTokenBuckets } from '../../src/adapters/redis/redis-token-buckets.js'
import type { RateDecision } from '../../src/ports/token-buckets.js'

/** Redis as far as the buckets use it: the script's answers, scripted by the test, and the calls counted. */
function fakeRedis(answer: (want: number) => [number, number, number] | Error) {
  const calls: number[] = []
  const redis = {
    defineCommand: () => {},
    takeTokens: async (_key: string, _perMs: number, _burst: number, want: number) => {
      calls.push(want)
      const result = answer(want)
      if (result instanceof Error) throw result
      return result
    },
  }
  return { redis: redis as unknown as Redis, calls }
}

function logger() {
  const lines: { level: string; details: object; message: string }[] = []
  return {
    lines,
    info: (details: object, message: string) => lines.push({ level: 'info', details, message }),
    warn: (details: object, message: string) => lines.push({ level: 'warn', details, message }),
  }
}

const take = (buckets: RedisTokenBuckets, n: number, policy = { perSecond: 1000, burst: 2000 }) =>
  Promise.all(Array.from({ length: n }, () => buckets.take('key:a', policy) as RateDecision | Promise<RateDecision>))

describe('token buckets shared through Redis', () => {
  it('take a twentieth of a second of tokens at a time, and ask once for requests that arrive together', async () => {
    const { redis, calls } = fakeRedis((want) => [want, 1000, 0])
    const buckets = new RedisTokenBuckets(redis, { keyPrefix: 't:', logger: logger() })
    const decisions = await take(buckets, 60)
    expect(decisions.every((decision) => decision.allowed)).toBe(true)
    // 50 tokens a lease: the 60 share two requests to Redis.
    expect(calls).toEqual([50, 50])
    expect(decisions.at(-1)).toMatchObject({ limit: 2000, remaining: 1040 })
    await take(buckets, 40)
    expect(calls).toHaveLength(2)
  })

  it('remember an empty bucket until its next token, so a caller over its limit costs Redis nothing', async () => {
    const { redis, calls } = fakeRedis(() => [0, 0, 60_000])
    const buckets = new RedisTokenBuckets(redis, { keyPrefix: 't:', logger: logger() })
    const decisions = await take(buckets, 20, { perSecond: 1 / 60, burst: 1 })
    expect(decisions.every((decision) => !decision.allowed)).toBe(true)
    expect(decisions[0]?.retryAfterSeconds).toBeGreaterThan(55)
    expect(calls).toHaveLength(1)
  })

  it('limit on this instance alone while Redis fails, and say so once each way', async () => {
    let down = true
    const { redis } = fakeRedis((want) => (down ? new Error('Connection is closed.') : [want, 10, 0]))
    const log = logger()
    const buckets = new RedisTokenBuckets(redis, { keyPrefix: 't:', logger: log, retryMs: 0 })
    const policy = { perSecond: 1 / 3600, burst: 3 }
    const decisions = await Promise.all(Array.from({ length: 5 }, () => buckets.take('key:a', policy)))
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false, false])
    expect(log.lines.map(({ level, details }) => [level, (details as { rateLimits: string }).rateLimits])).toEqual([['warn', 'local']])
    down = false
    expect((await buckets.take('key:b', policy)).allowed).toBe(true)
    expect(log.lines.map(({ level }) => level)).toEqual(['warn', 'info'])
  })
})
