import { describe, expect, it } from 'vitest'
import { LocalTokenBuckets } from '../../src/adapters/system/local-token-buckets.js'

describe('a token bucket', () => {
  it('admits a burst, then one request per token as it refills, and says when to retry', () => {
    let now = 0
    const buckets = new LocalTokenBuckets(() => now)
    const policy = { perSecond: 2, burst: 3 }
    const taken = Array.from({ length: 4 }, () => buckets.take('key:a', policy))
    expect(taken.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ])
    expect(taken[3]).toMatchObject({ limit: 3, retryAfterSeconds: 1, resetSeconds: 2 })
    now += 499
    expect(buckets.take('key:a', policy).allowed).toBe(false)
    now += 1
    expect(buckets.take('key:a', policy).allowed).toBe(true)
    // Another bucket is another caller.
    expect(buckets.take('key:b', policy).remaining).toBe(2)
    now += 60_000
    expect(buckets.take('key:a', policy).remaining).toBe(2) // never more than the burst
  })

  it('forgets full buckets before it grows past its bound', () => {
    let now = 0
    const buckets = new LocalTokenBuckets(() => now, 2)
    const policy = { perSecond: 1, burst: 1 }
    buckets.take('a', policy)
    buckets.take('b', policy)
    now += 1000 // both full again
    buckets.take('c', policy)
    expect(buckets.take('c', policy).allowed).toBe(false)
    expect(buckets.take('a', policy).allowed).toBe(true)
  })
})
