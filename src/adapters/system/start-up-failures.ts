import { pino } from 'pino'
import { describeAddress, parseDatabaseUrl } from '../mariadb/database-url.js'

/**
 * Why the service cannot start, in one sentence that names the variable to look at. main.ts turns
 * the known ways of failing (configuration, database, listening) into one of these; whatever else
 * escapes is a bug and keeps its stack.
 */
export class StartupFailure extends Error {
  constructor(
    message: string,
    /** What failed, e.g. `database`, and the variable that decides it. */
    readonly details: { failed: string; variable: string; code?: string },
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

const ownCodeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Errors of reaching a server at all: DNS, TCP, the Unix socket. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'ENOENT',
  'EACCES',
  'PROTOCOL_CONNECTION_LOST',
])
const CREDENTIALS = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 'ER_DBACCESS_DENIED_ERROR'])

/** The driver's code, also where an adapter wrapped the driver's error (its `cause`) in one of its own. */
function codeOf(error: unknown): string | undefined {
  for (let inner = error; inner instanceof Error; inner = inner.cause) {
    const code = ownCodeOf(inner)
    if (code && (UNREACHABLE.has(code) || CREDENTIALS.has(code))) return code
  }
  return ownCodeOf(error)
}

/** "host:port" (each, when there are several), or the socket path, DATABASE_URL names; without its credentials. */
function databaseTarget(url: string): string {
  try {
    return parseDatabaseUrl(url).servers.map(describeAddress).join(', ')
  } catch {
    return 'DATABASE_URL'
  }
}

/** For `.catch()` on creating and migrating the database at start. */
export function databaseFailure(url: string): (error: unknown) => never {
  return (error) => {
    const code = codeOf(error)
    const target = `MariaDB at ${databaseTarget(url)}`
    const details = { failed: 'database', variable: 'DATABASE_URL', ...(code ? { code } : {}) }
    const message =
      code && UNREACHABLE.has(code)
        ? `cannot start: ${target} is not reachable (${code}); check DATABASE_URL`
        : code && CREDENTIALS.has(code)
          ? `cannot start: ${target} refused the login (${messageOf(error)}); ` + 'check the user and password in DATABASE_URL'
          : `cannot start: creating or migrating the database on ${target} failed (${messageOf(error)}); ` +
            "check DATABASE_URL and its user's privileges"
    throw new StartupFailure(message, details, { cause: error })
  }
}

/** For `.catch()` on listening on HOST:PORT. */
export function listenFailure(host: string, port: number): (error: unknown) => never {
  return (error) => {
    const code = codeOf(error)
    const variable =
      code === 'EADDRINUSE' || code === 'EACCES' ? 'PORT' : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' ? 'HOST' : 'PORT, HOST'
    const message =
      code === 'EADDRINUSE'
        ? `cannot start: port ${port} on ${host} is already in use; set PORT to a free port, or stop what holds it`
        : code === 'EACCES'
          ? `cannot start: not allowed to listen on ${host}:${port}; set PORT to 1024 or above`
          : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
            ? `cannot start: ${host} is not an address of this machine; set HOST (0.0.0.0 listens on all)`
            : `cannot start: listening on ${host}:${port} failed (${messageOf(error)}); check PORT and HOST`
    throw new StartupFailure(message, { failed: 'listen', variable, ...(code ? { code } : {}) }, { cause: error })
  }
}

/**
 * Writes the failure as one log line (a StartupFailure as its sentence, anything else with its
 * stack) and ends the process. A logger of its own: the configuration, and with it LOG_LEVEL,
 * may be what failed.
 */
export function exitOnStartupFailure(error: unknown): never {
  const logger = pino()
  if (error instanceof StartupFailure) logger.fatal(error.details, error.message)
  else logger.fatal({ err: error }, `cannot start: ${messageOf(error)}`)
  process.exit(1)
}
