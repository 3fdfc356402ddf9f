import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { type Kysely, sql } from 'kysely'
import { pino } from 'pino'
import { inject } from 'vitest'
import type { Database } from '../../../src/adapters/mariadb/tables.js'
import type { RedisAccountCache } from '../../../src/adapters/redis/redis-account-cache.js'
import { buildApplication, migrateDatabase } from '../../../src/application.js'
import { loadConfig } from '../../../src/config.js'
import type { BatchStats } from '../../../src/adapters/telemetry/batch-stats.js'
import type { AccountRecords } from '../../../src/ports/account-records.js'
import type { UnitOfWork } from '../../../src/ports/unit-of-work.js'

/** A URL naming a fresh database of its own on the suite's server, so test files can run in parallel. */
export function freshDatabaseUrl(label: string): string {
  const name = `e2e_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`.slice(0, 64)
  return `${inject('databaseServerUrl')}/${name}`
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
}

/** The service as main.ts builds it (the same builder), with real MariaDB (and Redis), on an ephemeral port. */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const config = loadConfig({ DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl ?? '', ...options.env })
  if (options.migrate !== false) await migrateDatabase(config)
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

/** A thin JSON client over fetch: real HTTP, nothing mocked. */
export function client(baseUrl: string) {
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const init: RequestInit = { method, headers }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      init.headers = { 'content-type': 'application/json', ...headers }
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
