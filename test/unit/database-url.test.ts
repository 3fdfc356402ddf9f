import { describe, expect, it } from 'vitest'
import { parseDatabaseUrl } from '../../src/adapters/mariadb/database-url.js'
import { loadConfig } from '../../src/config.js'

describe('parseDatabaseUrl', () => {
  it('reads a TCP address, with the default port and user', () => {
    expect(parseDatabaseUrl('mysql://app:s%40cret@db.internal:3307/ledger')).toEqual({
      servers: [{ host: 'db.internal', port: 3307 }],
      user: 'app',
      password: 's@cret',
      database: 'ledger',
    })
    expect(parseDatabaseUrl('mariadb://[::1]/ledger')).toEqual({ servers: [{ host: '::1', port: 3306 }], user: 'root', password: '', database: 'ledger' })
  })

  it('reads several hosts, in failover order, each with its own port or the default', () => {
    expect(parseDatabaseUrl('mysql://app:pw@h1:3306,h2:3307,[::1],h3/transfers')).toEqual({
      servers: [
        { host: 'h1', port: 3306 },
        { host: 'h2', port: 3307 },
        { host: '::1', port: 3306 },
        { host: 'h3', port: 3306 },
      ],
      user: 'app',
      password: 'pw',
      database: 'transfers',
    })
    expect(parseDatabaseUrl('mysql://h1,h2/transfers').servers).toHaveLength(2)
  })

  it('refuses an empty, malformed or repeated host in the list', () => {
    expect(() => parseDatabaseUrl('mysql://root@h1,,h2/ledger')).toThrow(/each host/)
    expect(() => parseDatabaseUrl('mysql://root@h1,/ledger')).toThrow(/each host/)
    expect(() => parseDatabaseUrl('mysql://root@h1,h2:port/ledger')).toThrow(/invalid host "h2:port"/)
    expect(() => parseDatabaseUrl('mysql://root@h1,u@h2/ledger')).toThrow()
    expect(() => parseDatabaseUrl('mysql://root@h1:3306,h1/ledger')).toThrow(/same host twice/)
  })

  it('takes a Unix socket instead of host and port, for one server only', () => {
    expect(parseDatabaseUrl('mysql://app@localhost/ledger?socketPath=/run/mysqld/mysqld.sock')).toEqual({
      servers: [{ socketPath: '/run/mysqld/mysqld.sock' }],
      user: 'app',
      password: '',
      database: 'ledger',
    })
    expect(() => parseDatabaseUrl('mysql://app@h1,h2/ledger?socketPath=/run/mysqld/mysqld.sock')).toThrow(/names one server/)
  })

  it('refuses parameters it would otherwise ignore, and an empty socket path', () => {
    expect(() => parseDatabaseUrl('mysql://root@localhost/ledger?socket=/run/mysqld/mysqld.sock')).toThrow(/no parameter "socket"/)
    expect(() => parseDatabaseUrl('mysql://root@localhost/ledger?socketPath=')).toThrow(/must not be empty/)
  })

  it('refuses other schemes and database names that are not plain identifiers', () => {
    expect(() => parseDatabaseUrl('postgres://root@localhost/ledger')).toThrow(/mysql:\/\/ or mariadb:\/\//)
    expect(() => parseDatabaseUrl('not a url')).toThrow(/mysql:\/\/ or mariadb:\/\//)
    expect(() => parseDatabaseUrl('mysql://root@localhost/led-ger')).toThrow(/letters, digits and underscores/)
    expect(() => parseDatabaseUrl('mysql://root@h1,h2/')).toThrow(/letters, digits and underscores/)
  })

  it('is checked with the rest of the configuration, at start', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@localhost/ledger?sslmode=off' })).toThrow(/DATABASE_URL takes no parameter "sslmode"/)
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@h1,,h2/ledger' })).toThrow(/DATABASE_URL must name each host/)
    expect(loadConfig({ DATABASE_URL: 'mysql://root@h1:3306,h2:3307/ledger_eu' }).cache?.keyPrefix).toBe('ledger_eu:')
  })
})
