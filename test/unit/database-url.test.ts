import { describe, expect, it } from 'vitest'
import { parseDatabaseUrl } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'

describe('parseDatabaseUrl', () => {
  it('reads a TCP address, with the default port and user', () => {
    expect(parseDatabaseUrl('mysql://app:s%40cret@db.internal:3307/ledger')).toEqual({
      host: 'db.internal',
      port: 3307,
      user: 'app',
      password: 's@cret',
      database: 'ledger',
    })
    expect(parseDatabaseUrl('mariadb://[::1]/ledger')).toEqual({ host: '::1', port: 3306, user: 'root', password: '', database: 'ledger' })
  })

  it('takes a Unix socket instead of host and port', () => {
    expect(parseDatabaseUrl('mysql://app@localhost/ledger?socketPath=/run/mysqld/mysqld.sock')).toEqual({
      socketPath: '/run/mysqld/mysqld.sock',
      user: 'app',
      password: '',
      database: 'ledger',
    })
  })

  it('refuses parameters it would otherwise ignore, and an empty socket path', () => {
    expect(() => parseDatabaseUrl('mysql://root@localhost/ledger?socket=/run/mysqld/mysqld.sock')).toThrow(/no parameter "socket"/)
    expect(() => parseDatabaseUrl('mysql://root@localhost/ledger?socketPath=')).toThrow(/must not be empty/)
  })

  it('refuses other schemes and database names that are not plain identifiers', () => {
    expect(() => parseDatabaseUrl('postgres://root@localhost/ledger')).toThrow(/mysql:\/\/ or mariadb:\/\//)
    expect(() => parseDatabaseUrl('mysql://root@localhost/led-ger')).toThrow(/letters, digits and underscores/)
  })

  it('is checked with the rest of the configuration, at start', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@localhost/ledger?sslmode=off' })).toThrow(/DATABASE_URL takes no parameter "sslmode"/)
  })
})
