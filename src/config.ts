import type { DatabaseSettings } from './adapters/mariadb/database.js'
import { parseDatabaseUrl } from './adapters/mariadb/database-url.js'
import type { HttpLimits } from './adapters/http/server.js'
import type { RedisSettings } from './adapters/redis/client.js'
import { parseRedisUrl } from './adapters/redis/redis-url.js'
import { StartupFailure } from './adapters/system/start-up-failures.js'
import type { RatePolicy } from './ports/token-buckets.js'

export interface CacheSettings extends RedisSettings {
  keyPrefix: string
  ttlSeconds: number
}

export interface Config {
  readonly port: number
  readonly host: string
  readonly logLevel: string
  readonly database: Readonly<DatabaseSettings>
  /** Undefined when REDIS_URL is set to the empty string: the cache is off. */
  readonly cache: Readonly<CacheSettings> | undefined
  readonly idempotency: Readonly<{ retentionHours: number; sweepIntervalSeconds: number; sweepBatchSize: number }>
  /** The sweep that releases pending transfers past their timeout: how often it runs, and how many it expires per batch (20 batches a run at most). */
  readonly pendingSweep: Readonly<{ intervalMs: number; batchSize: number }>
  /** Group commit: how many writes one transaction carries at most, and how many such transactions run at once. */
  readonly batching: Readonly<{ maxSize: number; maxInFlight: number }>
  /** Transactions one batch may spend on deadlocks and certification conflicts (Galera) before its requests are answered 503. */
  readonly conflictAttempts: number
  /**
   * Every request is answered within `totalMs` of its handling: `keyCheckMs` of it for reading
   * its API key when that is not cached, the rest (`workMs`) for its reads or its write, waits
   * for connections, locks and retries included.
   */
  readonly deadline: Readonly<{ totalMs: number; keyCheckMs: number; workMs: number }>
  /** `strict`: the service refuses to start on a MariaDB that can lose acknowledged commits; `relaxed`: it warns. */
  readonly durability: 'strict' | 'relaxed'
  /** Bounds on clients: slow, idle or too many (see HttpLimits). */
  readonly http: Readonly<HttpLimits>
  /** Longest wait for in-flight requests on SIGTERM/SIGINT before the process exits anyway. */
  readonly shutdownTimeoutMs: number
  readonly access: Readonly<AccessConfig>
  /** Undefined when NATS_URL is set to the empty string: events are off and no outbox row is written. */
  readonly events: Readonly<EventsConfig> | undefined
}

export interface EventsConfig {
  /** NATS servers, comma-separated `nats://host:port`. */
  natsUrl: string
  /** The JetStream stream, created when missing, over `<subjectPrefix>.>`. */
  stream: string
  subjectPrefix: string
  /** The stream's duplicate window: a re-sent event within it is dropped by its id. */
  duplicateWindowSeconds: number
  /** `in-process`: this service publishes its outbox; `off`: a separate `npm run relay` does. */
  relay: 'in-process' | 'off'
  /** Most rows one relay transaction publishes and deletes. */
  batchSize: number
  /** Pause between polls of an empty outbox. */
  pollMs: number
}

export interface AccessConfig {
  /** False only with AUTH=off: every request may do everything. */
  auth: boolean
  /** How long an instance trusts a key it read; a revoked key is refused within it. */
  keyCacheMs: number
  docs: 'open' | 'key' | 'off'
  /** Undefined: not limited. */
  perKey: RatePolicy | undefined
  perAddress: RatePolicy | undefined
}

const RATE_UNITS: Record<string, number> = { s: 1, min: 60, h: 3600 }

type Env = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Reads the environment once. Throws one StartupFailure listing every invalid variable. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`)
      return fallback
    }
    return value
  }
  const text = (name: string, fallback: string): string => {
    const raw = env[name]
    return raw === undefined || raw === '' ? fallback : raw
  }

  const oneOf = <T extends string>(name: string, fallback: T, values: readonly T[]): T => {
    const raw = text(name, fallback)
    if ((values as readonly string[]).includes(raw)) return raw as T
    problems.push(`${name} must be ${values.join(' or ')}, got "${raw}"`)
    return fallback
  }
  /** `<count>/s`, `/min` or `/h`, or `off`; the burst defaults to twice the count. */
  const rate = (name: string, fallback: string): RatePolicy | undefined => {
    const raw = text(name, fallback)
    if (raw === 'off') return undefined
    const match = /^([1-9][0-9]{0,8})\/(s|min|h)$/.exec(raw)
    if (!match) {
      problems.push(`${name} must be a rate such as 100/s, 30/min or 1/h, or off; got "${raw}"`)
      return undefined
    }
    const count = Number(match[1])
    return { perSecond: count / (RATE_UNITS[match[2] as string] as number), burst: integer(`${name}_BURST`, 2 * count, 1, 2_000_000_000) }
  }

  const logLevel = text('LOG_LEVEL', 'info')
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`)

  const url = text('DATABASE_URL', 'mysql://root@127.0.0.1:3306/transfers')
  let databaseName = ''
  try {
    databaseName = parseDatabaseUrl(url).database
  } catch (error) {
    problems.push((error as Error).message)
  }

  // Unset means the local default; set but empty means no cache at all.
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  if (redisUrl !== '') {
    try {
      parseRedisUrl(redisUrl)
    } catch (error) {
      problems.push((error as Error).message)
    }
  }

  // Unset means the local default; set but empty means no events at all.
  const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222'
  if (natsUrl !== '' && !natsUrl.split(',').every((server) => /^(nats|tls):\/\/[^\s/]+$/.test(server.trim()))) {
    problems.push(`NATS_URL must be nats://host:port (several separated by commas), or empty to turn events off; got "${natsUrl}"`)
  }
  const subjectPrefix = text('NATS_SUBJECT_PREFIX', 'transfers.events')
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(subjectPrefix)) problems.push(`NATS_SUBJECT_PREFIX must be dot-separated tokens of letters, digits, - and _; got "${subjectPrefix}"`)
  const stream = text('NATS_STREAM', 'TRANSFERS_EVENTS')
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) problems.push(`NATS_STREAM must be 1 to 64 letters, digits, - or _; got "${stream}"`)

  const config: Config = {
    port: integer('PORT', 9999, 0, 65535),
    host: text('HOST', '0.0.0.0'),
    logLevel,
    database: Object.freeze({
      url,
      poolSize: integer('DB_POOL_SIZE', 10, 1, 1000),
      queueLimit: integer('DB_QUEUE_LIMIT', 500, 1, 100_000),
      connectTimeoutMs: integer('DB_CONNECT_TIMEOUT_MS', 2000, 100, 60_000),
      acquireTimeoutMs: integer('DB_ACQUIRE_TIMEOUT_MS', 3000, 10, 60_000),
      queryTimeoutMs: integer('DB_QUERY_TIMEOUT_MS', 10_000, 100, 600_000),
      lockWaitTimeoutSeconds: integer('DB_LOCK_WAIT_TIMEOUT_S', 3, 1, 60),
    }),
    cache:
      redisUrl === ''
        ? undefined
        : Object.freeze({
            url: redisUrl,
            // One Redis may serve several databases: by default each gets its own namespace.
            keyPrefix: text('REDIS_KEY_PREFIX', `${databaseName}:`),
            ttlSeconds: integer('REDIS_TTL_S', 300, 1, 86_400),
            commandTimeoutMs: integer('REDIS_COMMAND_TIMEOUT_MS', 50, 5, 10_000),
            connectTimeoutMs: integer('REDIS_CONNECT_TIMEOUT_MS', 1000, 50, 60_000),
          }),
    idempotency: Object.freeze({
      retentionHours: integer('IDEMPOTENCY_RETENTION_H', 24, 24, 24 * 365),
      sweepIntervalSeconds: integer('IDEMPOTENCY_SWEEP_INTERVAL_S', 60, 1, 86_400),
      sweepBatchSize: integer('IDEMPOTENCY_SWEEP_BATCH', 500, 1, 10_000),
    }),
    pendingSweep: Object.freeze({
      intervalMs: integer('PENDING_SWEEP_INTERVAL_MS', 1000, 50, 3_600_000),
      batchSize: integer('PENDING_SWEEP_BATCH', 100, 1, 1000),
    }),
    batching: Object.freeze({
      maxSize: integer('BATCH_MAX_SIZE', 64, 1, 1000),
      maxInFlight: integer('BATCH_MAX_IN_FLIGHT', 2, 1, 100),
    }),
    conflictAttempts: integer('BATCH_CONFLICT_ATTEMPTS', 20, 1, 100),
    deadline: requestDeadline(integer('REQUEST_DEADLINE_MS', 5000, 1000, 600_000)),
    durability: oneOf('DB_DURABILITY', 'strict', ['strict', 'relaxed']),
    http: Object.freeze({
      headersTimeoutMs: integer('HTTP_HEADERS_TIMEOUT_MS', 10_000, 1000, 600_000),
      requestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
      keepAliveTimeoutMs: integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000, 100, 600_000),
      maxConnections: integer('HTTP_MAX_CONNECTIONS', 1000, 1, 1_000_000),
    }),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    access: Object.freeze({
      auth: oneOf('AUTH', 'on', ['on', 'off']) === 'on',
      keyCacheMs: integer('AUTH_KEY_CACHE_MS', 500, 0, 1000),
      docs: oneOf('DOCS', 'open', ['open', 'key', 'off']),
      perKey: rate('RATE_LIMIT_PER_KEY', '1000/s'),
      perAddress: rate('RATE_LIMIT_PER_ADDRESS', '20/s'),
    }),
    events:
      natsUrl === ''
        ? undefined
        : Object.freeze({
            natsUrl,
            stream,
            subjectPrefix,
            duplicateWindowSeconds: integer('NATS_DUPLICATE_WINDOW_S', 120, 1, 86_400),
            relay: oneOf('EVENTS_RELAY', 'in-process', ['in-process', 'off']),
            batchSize: integer('EVENTS_RELAY_BATCH', 500, 1, 5000),
            pollMs: integer('EVENTS_RELAY_POLL_MS', 50, 1, 60_000),
          }),
  }
  // Node refuses a request timeout shorter than the headers' one.
  if (config.http.requestTimeoutMs < config.http.headersTimeoutMs) {
    problems.push(`HTTP_REQUEST_TIMEOUT_MS must be at least HTTP_HEADERS_TIMEOUT_MS (${config.http.headersTimeoutMs})`)
  }
  if (problems.length > 0) {
    const variables = [...new Set(problems.map((problem) => /^[A-Z_]+/.exec(problem)?.[0] ?? ''))].join(', ')
    throw new StartupFailure(`Invalid configuration: ${problems.join('; ')}`, { failed: 'configuration', variable: variables })
  }
  return Object.freeze(config)
}

/** The request deadline split between the API key's check (a fifth, at most 1 s) and the work. */
function requestDeadline(totalMs: number): Config['deadline'] {
  const keyCheckMs = Math.min(1000, Math.floor(totalMs / 5))
  return Object.freeze({ totalMs, keyCheckMs, workMs: totalMs - keyCheckMs })
}
