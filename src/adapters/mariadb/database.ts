import { Kysely, MysqlDialect, type MysqlPool } from 'kysely'
import { createConnection, createPool } from 'mysql2'
import type { PoolMetrics } from '../telemetry/metrics/pool.js'
import { type BoundedPool, boundedPool, type RawPool } from './bounded-pool.js'
import { type Address, describeAddress, parseDatabaseUrl } from './database-url.js'
import { failoverPool, type OnFailover } from './failover-pool.js'
import { isServerLost } from './driver-errors.js'
import type { Database } from './tables.js'

export interface DatabaseSettings {
  /**
   * mysql://user:password@host:port/database (mariadb:// is accepted too); several servers in
   * failover order as mysql://user@host-1:3306,host-2:3306/database; or, for a server on this
   * host, mysql://user@localhost/database?socketPath=/run/mysqld/mysqld.sock. See parseDatabaseUrl.
   */
  url: string
  poolSize: number
  /** Requests allowed to wait for a connection; beyond that they fail at once. */
  queueLimit: number
  connectTimeoutMs: number
  acquireTimeoutMs: number
  queryTimeoutMs: number
  lockWaitTimeoutSeconds: number
}

/**
 * Creates the database named by the URL when it does not exist yet, on the first of its servers
 * that answers (a Galera cluster replicates the DDL to the others).
 */
export async function ensureDatabase(settings: DatabaseSettings): Promise<void> {
  const { database, servers, user, password } = parseDatabaseUrl(settings.url)
  let lastError: unknown
  for (const address of servers) {
    const connection = createConnection({ ...address, user, password, connectTimeout: settings.connectTimeoutMs })
    connection.on('error', () => {}) // the query's own callback reports it
    try {
      await connection
        .promise()
        .query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
      return
    } catch (error) {
      lastError = error
      if (!isServerLost(error)) throw error
    } finally {
      connection.destroy()
    }
  }
  throw lastError
}

/**
 * A pool of connections, bounded (see boundedPool). Every connection is set up as it is made,
 * before its first statement: UTC, a short lock wait, strict SQL. With `metrics`, the pool
 * reports its connections and waits under the database's name, followed by `role` if given.
 */
export function openPool(settings: DatabaseSettings, metrics?: PoolMetrics, onFailover?: OnFailover, role?: string): BoundedPool {
  const { servers, ...login } = parseDatabaseUrl(settings.url)
  const pools = servers.map((address) => serverPool(address, login, settings))
  const pool = failoverPool(pools, onFailover)
  return boundedPool(pool, settings, metrics?.pool(role ? `${login.database}:${role}` : login.database))
}

/** The servers DATABASE_URL lists, "host:port" or a socket path each, in its order: for log lines. */
export function databaseServers(settings: DatabaseSettings): string[] {
  return parseDatabaseUrl(settings.url).servers.map(describeAddress)
}

function serverPool(address: Address, login: { user: string; password: string; database: string }, settings: DatabaseSettings): RawPool {
  const pool = createPool({
    ...address,
    ...login,
    connectionLimit: settings.poolSize,
    maxIdle: settings.poolSize,
    queueLimit: settings.queueLimit,
    connectTimeout: settings.connectTimeoutMs,
    // Transactions send several statements in one packet (MariadbTransaction). Every value travels
    // as a placeholder parameter, escaped by mysql2, never spliced into SQL.
    multipleStatements: true,
    // Ids are at most 2^53−1 and come back as numbers; DECIMAL stays a string.
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    timezone: 'Z',
    dateStrings: false,
  }) as unknown as RawPool
  // mysql2 emits this before it hands the new connection out, so the SET runs before anything else.
  pool.on('connection', (connection) => {
    connection.query(sessionSetup(settings), undefined, (error) => {
      if (error) connection.destroy()
    })
  })
  return pool
}

/** kysely over `pool` (by default a pool of its own), for reads and maintenance. */
export function openDatabase(settings: DatabaseSettings, pool: MysqlPool = openPool(settings)): Kysely<Database> {
  return new Kysely<Database>({ dialect: new MysqlDialect({ pool }) })
}

function sessionSetup(settings: DatabaseSettings): string {
  return (
    `SET SESSION time_zone = '+00:00', innodb_lock_wait_timeout = ${settings.lockWaitTimeoutSeconds}, ` +
    "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'"
  )
}
