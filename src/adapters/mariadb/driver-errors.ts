import { LockConflict, StoreUnavailable } from '../../ports/errors.js'

const ER_LOCK_WAIT_TIMEOUT = 1205
const ER_LOCK_DEADLOCK = 1213
const ER_SIGNAL_EXCEPTION = 1644

/** The MESSAGE_TEXT of the SIGNAL a transaction raises when its own writes are not in place before COMMIT. */
export const WRITE_CHECK_FAILED = 'write check failed: the transaction lost its writes before COMMIT'

/** Error codes that mean the server could not be reached or stopped answering. */
const UNAVAILABLE_CODES = new Set([
  'ACQUIRE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_STATEMENT_TIMEOUT',
  // "WSREP has not yet prepared node for application use": a Galera node outside the primary component.
  'ER_UNKNOWN_COM_ERROR',
])

/** Codes that say the server itself is gone or unusable, not just slow or busy: a pool moves to the next server. */
const SERVER_LOST_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'ETIMEDOUT',
  'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_UNKNOWN_COM_ERROR',
])

interface DriverError {
  code?: unknown
  errno?: unknown
  message?: unknown
  fatal?: unknown
}

function fields(error: unknown): DriverError {
  return typeof error === 'object' && error !== null ? (error as DriverError) : {}
}

/** The error as a LockConflict on `on` when it is a deadlock or a lock-wait timeout; undefined otherwise. */
export function lockConflictOf(error: unknown, on: LockConflict['on']): LockConflict | undefined {
  const { errno } = fields(error)
  if (errno === ER_LOCK_DEADLOCK) return new LockConflict('deadlock', on, { cause: error })
  if (errno === ER_LOCK_WAIT_TIMEOUT) return new LockConflict('lock-wait', on, { cause: error })
  return undefined
}

export function isWriteCheckFailure(error: unknown): boolean {
  const { errno, message } = fields(error)
  return errno === ER_SIGNAL_EXCEPTION && message === WRITE_CHECK_FAILED
}

/** The server answered with an SQL error: the connection is fine and the statement did not run. */
export function isServerError(error: unknown): boolean {
  const { errno, fatal } = (error ?? {}) as { errno?: unknown; fatal?: unknown }
  return typeof errno === 'number' && fatal !== true
}

export function isUnavailable(error: unknown): boolean {
  const { code, message, fatal } = fields(error)
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true
  // mysql2 reports a full wait queue and a closed pool with plain messages and no code.
  if (message === 'Queue limit reached.' || message === 'Pool is closed.') return true
  return fatal === true
}

/** The server cannot be reached, dropped the connection, or (Galera) will not serve statements. */
export function isServerLost(error: unknown): boolean {
  const { code, fatal } = fields(error)
  return (typeof code === 'string' && SERVER_LOST_CODES.has(code)) || fatal === true
}

/** Replaces infrastructure failures by StoreUnavailable (keeping the original as its cause). */
export function translate(error: unknown): unknown {
  if (error instanceof StoreUnavailable || error instanceof LockConflict) return error
  if (isUnavailable(error)) {
    // Waiting for a connection (or for room to wait) is the pool being busy; anything else, the server.
    const { code, message } = fields(error)
    const busy = code === 'ACQUIRE_TIMEOUT' || code === 'QUEUE_FULL' || message === 'Queue limit reached.'
    return new StoreUnavailable('The database did not answer in time', { cause: error, reason: busy ? 'overloaded' : 'unreachable' })
  }
  return error
}
