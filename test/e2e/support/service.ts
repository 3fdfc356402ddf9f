import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { type Kysely, sql } from 'kysely'
import { inject } from 'vitest'
import { buildServer } from '../../../src/adapters/http/server.js'
import { MariadbAccountStore } from '../../../src/adapters/mariadb/account-store.js'
import { ensureDatabase, openDatabase } from '../../../src/adapters/mariadb/database.js'
import { migrateToLatest } from '../../../src/adapters/mariadb/migrate.js'
import { MariadbReadiness } from '../../../src/adapters/mariadb/readiness.js'
import type { Database } from '../../../src/adapters/mariadb/tables.js'
import { systemClock } from '../../../src/adapters/system/clock.js'
import { UuidV7Generator } from '../../../src/adapters/system/uuid-v7.js'
import { createAccount } from '../../../src/app/create-account.js'
import { getAccount } from '../../../src/app/get-account.js'
import { transferFunds } from '../../../src/app/transfer-funds.js'
import { loadConfig } from '../../../src/config.js'

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
  stop(): Promise<void>
}

/**
 * The service wired as main.ts wires it, with real MariaDB, listening on an ephemeral port.
 * `env` takes the same variables as the service (DB_POOL_SIZE, DB_CONNECT_TIMEOUT_MS, …).
 */
export async function startService(options: { databaseUrl: string; env?: Record<string, string>; migrate?: boolean }): Promise<RunningService> {
  const config = loadConfig({ DATABASE_URL: options.databaseUrl, ...options.env })
  if (options.migrate !== false) await ensureDatabase(config.database)
  const db = openDatabase(config.database)
  if (options.migrate !== false) await migrateToLatest(db)
  const accounts = new MariadbAccountStore(db)
  const app = await buildServer({
    createAccount: createAccount({ accounts }),
    getAccount: getAccount({ accounts }),
    transferFunds: transferFunds({ accounts, ids: new UuidV7Generator(), clock: systemClock }),
    readiness: new MariadbReadiness(db),
    logger: false,
  })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    baseUrl: address,
    databaseUrl: options.databaseUrl,
    db,
    app,
    stop: async () => {
      await app.close()
      if (options.migrate !== false) await dropDatabase(db, options.databaseUrl)
      await db.destroy()
    },
  }
}

export interface Reply {
  status: number
  contentType: string | null
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
    return { status: response.status, contentType: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined }
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
