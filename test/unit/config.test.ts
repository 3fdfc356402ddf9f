import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({})
    expect(config.port).toBe(9999)
    expect(config.host).toBe('0.0.0.0')
    expect(config.logLevel).toBe('info')
    expect(config.database.url).toBe('mysql://root@127.0.0.1:3306/transfers')
    expect(config.cache).toMatchObject({ url: 'redis://127.0.0.1:6379', keyPrefix: 'transfers:', ttlSeconds: 300, commandTimeoutMs: 50 })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.database)).toBe(true)
  })

  it('reads the environment', () => {
    const config = loadConfig({ PORT: '8080', HOST: '127.0.0.1', DATABASE_URL: 'mysql://u:p@db:3307/x', DB_POOL_SIZE: '4' })
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', database: { url: 'mysql://u:p@db:3307/x', poolSize: 4 } })
  })

  it('turns the cache off when REDIS_URL is empty, and namespaces keys by database', () => {
    expect(loadConfig({ REDIS_URL: '' }).cache).toBeUndefined()
    expect(loadConfig({ DATABASE_URL: 'mysql://root@db/ledger_eu' }).cache?.keyPrefix).toBe('ledger_eu:')
    expect(loadConfig({ REDIS_KEY_PREFIX: 'x:' }).cache?.keyPrefix).toBe('x:')
  })

  it('lists every invalid variable at once', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DB_POOL_SIZE: '0', DATABASE_URL: 'not a url' })
      } catch (e) {
        return e as Error
      }
    })()
    for (const name of ['PORT', 'LOG_LEVEL', 'DB_POOL_SIZE', 'DATABASE_URL']) expect(error?.message).toContain(name)
  })
})
