import { describe, expect, it } from 'vitest'
import { databaseFailure, listenFailure, StartupFailure } from '../../src/adapters/system/start-up-failures.js'

/** An error as Node and mysql2 shape them: a message and a code. */
const failure = (code: string, message = code) => Object.assign(new Error(message), { code })

function thrown(fail: (error: unknown) => never, error: unknown): StartupFailure {
  try {
    fail(error)
  } catch (caught) {
    expect(caught).toBeInstanceOf(StartupFailure)
    expect((caught as Error).cause).toBe(error)
    return caught as StartupFailure
  }
  throw new Error('did not throw')
}

describe('start-up failures', () => {
  it.each([
    ['mysql://root:secret@db.internal:3307/ledger', 'ETIMEDOUT', 'cannot start: MariaDB at db.internal:3307 is not reachable (ETIMEDOUT); check DATABASE_URL'],
    ['mysql://root@db.internal/ledger', 'ECONNREFUSED', 'cannot start: MariaDB at db.internal:3306 is not reachable (ECONNREFUSED); check DATABASE_URL'],
    ['mysql://root@db-1:3306,db-2:3307/ledger', 'ECONNREFUSED', 'cannot start: MariaDB at db-1:3306, db-2:3307 is not reachable (ECONNREFUSED); check DATABASE_URL'],
    ['mysql://root@localhost/ledger?socketPath=/run/mysqld/mysqld.sock', 'ENOENT', 'cannot start: MariaDB at /run/mysqld/mysqld.sock is not reachable (ENOENT); check DATABASE_URL'],
  ])('a database out of reach names where it was looked for, never the password: %s %s', (url, code, message) => {
    const { message: said, details } = thrown(databaseFailure(url), failure(code))
    expect(said).toBe(message)
    expect(details).toEqual({ failed: 'database', variable: 'DATABASE_URL', code })
  })

  it('reads the driver error an adapter wrapped', () => {
    const wrapped = Object.assign(new Error('The database did not answer in time', { cause: failure('ETIMEDOUT') }), {
      code: 'SERVICE_UNAVAILABLE',
    })
    expect(thrown(databaseFailure('mysql://root@db/ledger'), wrapped).message).toBe(
      'cannot start: MariaDB at db:3306 is not reachable (ETIMEDOUT); check DATABASE_URL',
    )
  })

  it('a refused login says to check the user and password', () => {
    const error = failure('ER_ACCESS_DENIED_ERROR', "Access denied for user 'app'@'10.0.0.5' (using password: YES)")
    expect(thrown(databaseFailure('mysql://app:pw@db:3306/ledger'), error).message).toBe(
      "cannot start: MariaDB at db:3306 refused the login (Access denied for user 'app'@'10.0.0.5' (using password: YES)); check the user and password in DATABASE_URL",
    )
  })

  it('any other database error at start is a failed migration, with its message', () => {
    const error = failure('ER_SPECIFIC_ACCESS_DENIED_ERROR', 'CREATE ROUTINE command denied')
    expect(thrown(databaseFailure('mysql://app@db/ledger'), error).message).toBe(
      "cannot start: creating or migrating the database on MariaDB at db:3306 failed (CREATE ROUTINE command denied); check DATABASE_URL and its user's privileges",
    )
  })

  it.each([
    ['EADDRINUSE', 'PORT', 'cannot start: port 9999 on 0.0.0.0 is already in use; set PORT to a free port, or stop what holds it'],
    ['EACCES', 'PORT', 'cannot start: not allowed to listen on 0.0.0.0:9999; set PORT to 1024 or above'],
    ['EADDRNOTAVAIL', 'HOST', 'cannot start: 0.0.0.0 is not an address of this machine; set HOST (0.0.0.0 listens on all)'],
    ['EMFILE', 'PORT, HOST', 'cannot start: listening on 0.0.0.0:9999 failed (EMFILE); check PORT and HOST'],
  ])('listening that fails with %s names %s', (code, variable, message) => {
    const { message: said, details } = thrown(listenFailure('0.0.0.0', 9999), failure(code))
    expect({ said, details }).toEqual({ said: message, details: { failed: 'listen', variable, code } })
  })
})
