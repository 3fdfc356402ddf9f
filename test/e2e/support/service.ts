import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { type Kysely, sql } from 'kysely'
import { pino } from 'pino'
import { inject } from 'vitest'
import type { Database } from '../../../src/adapters/mariadb/tables.js'
import type { RedisAccountCache } from '../../../src/adapters/redis/redis-account-cache.js'
import { buildApplication, checkDurability, migrateDatabase, openKeyAdmin } from '../../../src/application.js'
import { openDatabase } from '../../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../../src/config.js'
import type { BatchStats } from '../../../src/adapters/telemetry/batch-stats.js'
import { FULL_GRANT, type Grant } from '../../../src/domain/access.js'
import type { AccountRecords } from '../../../src/ports/account-records.js'
import type { UnitOfWork } from '../../../src/ports/unit-of-work.js'

/** A URL naming a fresh database of its own on the suite's server, so test files can run in parallel. */
export function freshDatabaseUrl(label: string): string {
  const name = `e2e_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`.slice(0, 64)
  return `${inject('databaseServerUrl')}/${name}`
}

/** A key of the right format that no database holds: with MariaDB unreachable, what a valid key meets (503). */
export const UNKNOWN_KEY = `itk_${'a'.repeat(12)}_${'A'.repeat(43)}`

/** A new API key with `grant` in the database at `databaseUrl` (migrated), made as `npm run keys -- create` makes it. */
export async function createKey(databaseUrl: string, grant: Grant = FULL_GRANT, name = 'e2e'): Promise<{ id: string; text: string }> {
  const admin = openKeyAdmin(loadConfig({ DATABASE_URL: databaseUrl }))
  try {
    const { key, text } = await admin.create({ name, grant })
    return { id: key.id, text }
  } finally {
    await admin.close()
  }
}

/** Revokes a key as `npm run keys -- revoke` does. */
export async function revokeKey(databaseUrl: string, id: string): Promise<void> {
  const admin = openKeyAdmin(loadConfig({ DATABASE_URL: databaseUrl }))
  try {
    await admin.revoke(id)
  } finally {
    await admin.close()
  }
}

/** Removes a test database so the shared local server does not fill up across runs. */
export async function dropDatabase(db: Kysely<Database>, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1)
  if (!/^e2e_\w+$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`)
  await sql.raw(`DROP DATABASE IF EXISTS \`${name}\``).execute(db)
}

export interface RunningService {
  baseUrl: string
  databaseUrl: string
  db: Kysely<Database>
  app: FastifyInstance
  /** The Redis cache when a redisUrl was given. */
  cache: RedisAccountCache | undefined
  /** Batches written so far, by size. */
  batches: BatchStats
  /** A separate Redis client for the test to inspect keys with. */
  redis: Redis | undefined
  /** An API key with every scope on every account (authentication on and the database reachable), which `client(service)` sends. */
  key: string | undefined
  /** Its id: what the records it makes carry as created_by, and what prefixes its idempotency keys in the table. */
  keyId: string | undefined
  stop(): Promise<void>
}

export interface ServiceOptions {
  databaseUrl: string
  /** Service environment variables (DB_POOL_SIZE, REDIS_COMMAND_TIMEOUT_MS, …). */
  env?: Record<string, string>
  /** Enables the Redis cache against this server. */
  redisUrl?: string
  /** Wraps the real unit of work, e.g. to lose a commit's answer. */
  decorateUnitOfWork?: (unitOfWork: UnitOfWork) => UnitOfWork
  /** Wraps the real account reads, e.g. to count or hold them. */
  decorateAccountRecords?: (records: AccountRecords) => AccountRecords
  migrate?: boolean
  /**
   * False: AUTH=off. By default authentication is on, as in production, with one key of every
   * scope, and a rate limit per key that no test but those of limits reaches.
   */
  auth?: boolean
}

/** The service as main.ts builds it (the same builder), with real MariaDB (and Redis), on an ephemeral port. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl ?? '',
    // Events are off unless a test turns them on (with a stream and subjects of its own: see nats.ts).
    NATS_URL: '',
    ...(options.auth === false ? { AUTH: 'off' } : {}),
    // Limited, as in production, but far above what any test sends: tests of limits set their own.
    RATE_LIMIT_PER_KEY: '1000000/s',
    ...options.env,
  })
  if (options.migrate !== false) await migrateDatabase(config)
  // As main.ts does, once the database can be reached.
  if (options.migrate !== false) await checkDurability(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }))
  const made = config.access.auth && options.migrate !== false ? await createKey(options.databaseUrl) : undefined
  const app = await buildApplication(config, {
    // TEST_LOG_LEVEL=error (say) shows what the service logs, e.g. the cause behind a 5xx.
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    decorate: {
      ...(options.decorateUnitOfWork ? { unitOfWork: options.decorateUnitOfWork } : {}),
      ...(options.decorateAccountRecords ? { accountRecords: options.decorateAccountRecords } : {}),
    },
  })
  const inspector = options.redisUrl ? new Redis(options.redisUrl, { maxRetriesPerRequest: 1 }) : undefined
  inspector?.on('error', () => {})
  const address = await app.server.listen({ host: '127.0.0.1', port: 0 })
  return {
    baseUrl: address,
    databaseUrl: options.databaseUrl,
    db: app.db,
    app: app.server,
    cache: app.cache,
    batches: app.batches,
    redis: inspector,
    key: made?.text,
    keyId: made?.id,
    stop: async () => {
      inspector?.disconnect()
      if (options.migrate !== false) await dropDatabase(app.db, options.databaseUrl)
      await app.close()
    },
  }
}

export interface Reply {
  status: number
  contentType: string | null
  headers: Headers
  /** The body exactly as received. */
  text: string
  body: any
}

/**
 * A thin JSON client over fetch: real HTTP, nothing mocked. Given a service (or `key`), every
 * request carries its API key, unless the request's own headers set `authorization`.
 */
export function client(target: string | { baseUrl: string; key?: string | undefined }, key = typeof target === 'string' ? undefined : target.key) {
  const baseUrl = typeof target === 'string' ? target : target.baseUrl
  const auth: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {}
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const init: RequestInit = { method, headers: { ...auth, ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      init.headers = { 'content-type': 'application/json', ...auth, ...headers }
    }
    const response = await fetch(baseUrl + path, init)
    const text = await response.text()
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      headers: response.headers,
      text,
      body: text ? JSON.parse(text) : undefined,
    }
  }
  return {
    send,
    get: (path: string) => send('GET', path),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => send('POST', path, body, headers),
    createAccount: (id: number, balance: string) => send('POST', '/v1/accounts', { account_id: id, initial_balance: balance }),
    transfer: (from: number, to: number, amount: string) =>
      send('POST', '/v1/transfers', { source_account_id: from, destination_account_id: to, amount }),
    balance: async (id: number): Promise<string> => (await send('GET', `/v1/accounts/${id}`)).body.balance,
  }
}

/** A reply with how long it took, for bounds on latency. */
export async function timed(call: () => Promise<Reply>): Promise<{ reply: Reply; ms: number }> {
  const started = performance.now()
  const reply = await call()
  return { reply, ms: performance.now() - started }
}

/** Opens `ids` with `balance` each through the API, one after the other, expecting 201 for every one. */
export async function openAccounts(api: ReturnType<typeof client>, ids: Iterable<number>, balance: string): Promise<void> {
  for (const id of ids) {
    const reply = await api.createAccount(id, balance)
    if (reply.status !== 201) throw new Error(`opening account ${id} answered ${reply.status}: ${reply.text}`)
  }
}

/** Connections of the test's own to the service's database, outside the service's pools; destroy it after. */
export function outsideDatabase(service: RunningService): Kysely<Database> {
  return openDatabase(loadConfig({ DATABASE_URL: service.databaseUrl }).database)
}

/**
 * A service on a fresh database with accounts `ids` opened with `balance`, and connections of the
 * test's own (`outside`) to lock its rows as another instance or an operator would.
 */
export async function serviceWithOutsideLocks(label: string, ids: Iterable<number>, balance: string) {
  const service = await startService({ databaseUrl: freshDatabaseUrl(label) })
  const api = client(service)
  const outside = outsideDatabase(service)
  await openAccounts(api, ids, balance)
  return {
    service,
    api,
    outside,
    stop: async () => {
      await outside.destroy()
      await service.stop()
    },
  }
}
