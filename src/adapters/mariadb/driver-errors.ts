import { StoreUnavailable } from '../../ports/errors.js'

const ER_DUP_ENTRY = 1062
const ER_LOCK_WAIT_TIMEOUT = 1205
const ER_LOCK_DEADLOCK = 1213

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

export function isDuplicateKey(error: unknown): boolean {
  return fields(error).errno === ER_DUP_ENTRY
}

/** Lock conflicts that a fresh attempt of the whole transaction can resolve. */
export function isLockConflict(error: unknown): boolean {
  const { errno } = fields(error)
  return errno === ER_LOCK_DEADLOCK || errno === ER_LOCK_WAIT_TIMEOUT
}

export function isLockWaitTimeout(error: unknown): boolean {
  return fields(error).errno === ER_LOCK_WAIT_TIMEOUT
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

/** Replaces infrastructure failures by StoreUnavailable (keeping the original as its cause). */
export function translate(error: unknown): unknown {
  if (error instanceof StoreUnavailable) return error
  if (isUnavailable(error) || isLockConflict(error)) {
    return new StoreUnavailable('The database did not answer in time', { cause: error })
  }
  return error
}
