import { describe, expect, it } from 'vitest'
import { describeRedis, parseRedisUrl } from '../../src/adapters/redis/redis-url.js'
import { loadConfig } from '../../src/config.js'

describe('parseRedisUrl', () => {
  it('passes one Redis through as ioredis reads it', () => {
    expect(parseRedisUrl('redis://:pw@cache:6380/2')).toEqual({ mode: 'single', url: 'redis://:pw@cache:6380/2' })
    expect(describeRedis(parseRedisUrl('redis://:pw@cache:6380/2'))).toBe('cache:6380')
    expect(parseRedisUrl('rediss://cache').mode).toBe('single')
  })

  it('reads sentinels in order, with the default sentinel port, the master name and its password', () => {
    const target = parseRedisUrl('redis-sentinel://:s%40cret@s1:26380,s2,[::1]:26381/ledger-cache')
    expect(target).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'ledger-cache',
      password: 's@cret',
    })
    expect(describeRedis(target)).toBe('master "ledger-cache" of sentinels s1:26380,s2:26379,::1:26381')
  })

  it('reads the seed nodes of a Redis Cluster', () => {
    expect(parseRedisUrl('redis-cluster://n1:7000,n2:7001')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
    })
  })

  it('refuses what it could only misread', () => {
    expect(() => parseRedisUrl('memcached://cache')).toThrow(/REDIS_URL must start with/)
    expect(() => parseRedisUrl('redis-sentinel://s1,s2')).toThrow(/master name/)
    expect(() => parseRedisUrl('redis-sentinel://s1,,s2/m')).toThrow(/invalid host ""/)
    expect(() => parseRedisUrl('redis-cluster://n1:7000/0')).toThrow(/no path/)
    expect(() => parseRedisUrl('redis-cluster://n1:port')).toThrow(/invalid host "n1:port"/)
  })

  it('is checked with the rest of the configuration, at start', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis-sentinel://s1:26379' })).toThrow(/REDIS_URL of sentinels must end with the master name/)
    expect(loadConfig({ REDIS_URL: 'redis-cluster://n1:7000' }).cache?.url).toBe('redis-cluster://n1:7000')
  })
})
