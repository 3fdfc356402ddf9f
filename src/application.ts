import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { buildServer } from './adapters/http/server.js'
import { MariadbAccountRecords } from './adapters/mariadb/account-records.js'
import { MariadbApiKeyRecords } from './adapters/mariadb/api-key-records.js'
import { databaseServers, ensureDatabase, openDatabase, openPool } from './adapters/mariadb/database.js'
import { MariadbIdempotencyRecords } from './adapters/mariadb/idempotency-records.js'
import { MariadbOutboxClaims } from './adapters/mariadb/outbox-claims.js'
import { MariadbSnapshotReader } from './adapters/mariadb/ledger-snapshot.js'
import type { OnFailover } from './adapters/mariadb/failover-pool.js'
import { type DurabilityFinding, durabilityFindings, readDurability } from './adapters/mariadb/durability.js'
import { migrateToLatest } from './adapters/mariadb/migrate.js'
import { MariadbReadiness } from './adapters/mariadb/readiness.js'
import type { Database } from './adapters/mariadb/tables.js'
import { MariadbTransferRecords } from './adapters/mariadb/transfer-records.js'
import { MariadbUnitOfWork } from './adapters/mariadb/unit-of-work.js'
import { JetStreamPublisher } from './adapters/nats/jetstream-publisher.js'
import { createRedisClient } from './adapters/redis/client.js'
import { disabledCache } from './adapters/redis/disabled-cache.js'
import { RedisAccountCache } from './adapters/redis/redis-account-cache.js'
import { describeRedis, parseRedisUrl } from './adapters/redis/redis-url.js'
import { RedisTokenBuckets } from './adapters/redis/redis-token-buckets.js'
import { logCacheAtStart } from './adapters/redis/start-log.js'
import { apiKeySecrets } from './adapters/system/api-key-secrets.js'
import { StartupFailure } from './adapters/system/start-up-failures.js'
import { systemClock } from './adapters/system/clock.js'
import { withDeadline } from './adapters/system/deadline.js'
import { InFlight } from './adapters/system/in-flight.js'
import { LocalTokenBuckets } from './adapters/system/local-token-buckets.js'
import { startRelayLoop } from './adapters/system/relay-loop.js'
import { every } from './adapters/system/schedule.js'
import { UuidV7Generator } from './adapters/system/uuid-v7.js'
import { batchSpans } from './adapters/telemetry/batch-spans.js'
import { BatchStats } from './adapters/telemetry/batch-stats.js'
import { traceRequests } from './adapters/telemetry/http-spans.js'
import { traced } from './adapters/telemetry/traced.js'
import { inSpan } from './adapters/telemetry/use-case-spans.js'
import { createMetrics, type ServiceMetrics } from './adapters/telemetry/metrics/index.js'
import { meteredUseCases } from './adapters/telemetry/use-case-metrics.js'
import { type AuditLedger, auditLedger } from './app/audit-ledger.js'
import { authenticator } from './app/authenticate.js'
import { createAccount } from './app/create-account.js'
import { createApiKey, type CreateApiKey } from './app/create-api-key.js'
import { getAccount } from './app/get-account.js'
import { getBalanceAt } from './app/get-balance-at.js'
import { getTransfer } from './app/get-transfer.js'
import { createLedger } from './app/ledger.js'
import { expirePendingTransfers } from './app/expire-pending-transfers.js'
import { listAccountTransfers } from './app/list-account-transfers.js'
import { relayEvents } from './app/relay-events.js'
import { resolvePendingTransfer } from './app/resolve-pending-transfer.js'
import { revokeApiKey, type RevokeApiKey } from './app/revoke-api-key.js'
import { sweepIdempotencyKeys } from './app/sweep-idempotency-keys.js'
import { transferBatch } from './app/transfer-batch.js'
import { transferFunds } from './app/transfer-funds.js'
import type { Config, EventsConfig } from './config.js'
import type { AccountRecords } from './ports/account-records.js'
import type { ApiKey, ApiKeyRecords } from './ports/api-keys.js'
import type { RatePolicy } from './ports/token-buckets.js'
import type { UnitOfWork } from './ports/unit-of-work.js'

/** The running service, not yet listening. */
export interface Application {
  server: FastifyInstance
  /** The pool the service uses, for tools and tests that inspect the same database. */
  db: Kysely<Database>
  /** The Redis cache, when REDIS_URL names one. */
  cache: RedisAccountCache | undefined
  /** Batches written so far, by size and retries (logged at close). */
  batches: BatchStats
  /**
   * Stops taking requests, waits for the ones in flight (also those whose client hung up), then
   * closes every adapter in the reverse order of its opening.
   */
  close(): Promise<void>
}

export interface ApplicationOptions {
  logger: Logger
  /** Seams for tests: wrap a port as production never does (count its reads, lose a commit). */
  decorate?: {
    unitOfWork?: (unitOfWork: UnitOfWork) => UnitOfWork
    accountRecords?: (records: AccountRecords) => AccountRecords
  }
}

/** Creates the database if missing and applies pending migrations, in one `migrate` trace. */
/** How long one statement of a migration may take. */
const MIGRATION_QUERY_TIMEOUT_MS = 15 * 60_000

export async function migrateDatabase(config: Config): Promise<string[]> {
  // A migration may rewrite a large table (0008 backfills every record): its statements get
  // minutes, not the request path's DB_QUERY_TIMEOUT_MS.
  const db = openDatabase({ ...config.database, queryTimeoutMs: Math.max(config.database.queryTimeoutMs, MIGRATION_QUERY_TIMEOUT_MS) })
  try {
    return await traced('migrate', async () => {
      await ensureDatabase(config.database)
      return migrateToLatest(db)
    })()
  } finally {
    await db.destroy()
  }
}

/**
 * Checks that MariaDB keeps what it acknowledges (see durabilityFindings): logs each finding, and
 * throws a StartupFailure for those that lose commits on a crash unless DB_DURABILITY=relaxed.
 */
export async function checkDurability(config: Config, logger: Logger): Promise<void> {
  const db = openDatabase(config.database)
  let findings: DurabilityFinding[]
  try {
    findings = durabilityFindings(await readDurability(db))
  } finally {
    await db.destroy()
  }
  const refused = findings.filter((finding) => finding.severity === 'refuse')
  for (const finding of findings) {
    if (finding.severity === 'warn' || config.durability === 'relaxed') logger.warn({ durability: config.durability }, `MariaDB durability: ${finding.message}`)
  }
  if (refused.length > 0 && config.durability === 'strict') {
    throw new StartupFailure(
      `cannot start: MariaDB can lose acknowledged transfers: ${refused.map((finding) => finding.message).join('; ')}. ` +
        'Fix the server, or set DB_DURABILITY=relaxed to start anyway',
      { failed: 'durability', variable: 'DB_DURABILITY' },
    )
  }
}

/**
 * The one place that wires adapters to use cases, used by main.ts and by the e2e tests alike, so
 * that tests run the spans, the in-flight tracking and the shutdown order that production runs.
 */
export async function buildApplication(config: Config, { logger, decorate = {} }: ApplicationOptions): Promise<Application> {
  // Each adapter registers its own closing here as it is opened; close() runs them last-opened first.
  const closers: (() => Promise<void> | void)[] = []

  // Metrics: the one recorder (adapters/telemetry/metrics), handed to the adapters that record into it.
  const metrics = createMetrics()
  closers.push(() => metrics.close())
  const metered = meteredUseCases(metrics)

  // Two pools of DB_POOL_SIZE: transactions through the unit of work, reads through kysely, so that
  // writes waiting for locked rows cannot take the connections reads need. With several servers
  // in DATABASE_URL each moves to the next when its server goes away, and says so.
  const servers = databaseServers(config.database)
  const onFailover: OnFailover = ({ from, to, reason }) =>
    logger.warn(
      { from: servers[from], to: servers[to], reason: reason instanceof Error ? reason.message : String(reason) },
      `database ${servers[from]} failed; moving to ${servers[to]} (DATABASE_URL)`,
    )
  const { workMs, keyCheckMs } = config.deadline
  const pool = openPool(config.database, metrics.pool, onFailover)
  closers.push(() => new Promise<unknown>((resolve) => pool.end(resolve)).then(() => {}))
  const readPool = openPool(within(config.database, workMs), metrics.pool, onFailover, 'reads')
  const db = openDatabase(config.database, readPool)
  closers.push(async () => {
    await db.destroy()
    await new Promise((resolve) => readPool.end(resolve))
  })
  // Readiness probes one connection of their own, bounded like the probe (about 1 s).
  const probePool = openPool({ ...within(config.database, READINESS_MS), poolSize: 1, queueLimit: 10 })
  const probeDb = openDatabase(config.database, probePool)
  closers.push(async () => {
    await probeDb.destroy()
    await new Promise((resolve) => probePool.end(resolve))
  })

  // Redis being down at start is fine: reads fall through to MariaDB until it connects.
  const redis = config.cache && createRedisClient(config.cache)
  let cache: RedisAccountCache | undefined
  if (redis && config.cache) {
    redis.on('error', () => {}) // reported, rate-limited, by the cache; ioredis reconnects by itself
    closers.push(() => redis.disconnect())
    cache = new RedisAccountCache(redis, { ...config.cache, logger, metrics: metrics.cache, clearOnConnect: true })
    closers.push(() => cache?.close())
  }
  logCacheAtStart(redis, logger, config.cache && describeRedis(parseRedisUrl(config.cache.url)))
  // After the start-up log listens for the connection: reads come from Redis once it is cleared.
  if (cache && config.cache) await cache.serving(config.cache.connectTimeoutMs)

  // API keys are read through a pool of their own: a saturated write path must not lock callers out.
  const keyPool = openPool({ ...within(config.database, keyCheckMs), poolSize: 2 })
  const keyDb = openDatabase(config.database, keyPool)
  closers.push(async () => {
    await keyDb.destroy()
    await new Promise((resolve) => keyPool.end(resolve))
  })
  const keyRecords = withinDeadlineRecords(new MariadbApiKeyRecords(keyDb), keyCheckMs)
  const { access } = config
  const buckets =
    redis && config.cache ? new RedisTokenBuckets(redis, { keyPrefix: config.cache.keyPrefix, logger }) : new LocalTokenBuckets()
  logAccessAtStart(config, Boolean(redis), logger)

  const accountCache = cache ?? disabledCache
  const unitOfWork = new MariadbUnitOfWork(pool, { lockWaitSeconds: config.database.lockWaitTimeoutSeconds })
  const accounts = (decorate.accountRecords ?? same)(new MariadbAccountRecords(db))
  const records = new MariadbIdempotencyRecords(db)
  const transfers = new MariadbTransferRecords(db)
  const batches = new BatchStats()
  closers.push(() => logger.info(batches.summary(), 'write batches'))
  // One generator for every id, so that those it makes in one process increase.
  const ids = new UuidV7Generator()
  const ledger = createLedger({
    ids,
    unitOfWork: (decorate.unitOfWork ?? same)(unitOfWork),
    cache: accountCache,
    clock: systemClock,
    scope: batchSpans,
    retentionMs: config.idempotency.retentionHours * 3_600_000,
    // NATS_URL= turns events off: no outbox row is written at all.
    events: config.events && ids,
    batching: { ...config.batching, queueLimit: config.database.queueLimit },
    // Lock waits: 3 attempts of DB_LOCK_WAIT_TIMEOUT_S each. Deadlocks and certification conflicts wait
    // for no lock, so they get a budget of their own, paced by jitter that doubles up to 250 ms.
    retry: { attempts: 3, conflictAttempts: config.conflictAttempts, baseDelayMs: 20, maxDelayMs: 250 },
    deadlineMs: workMs,
    observe: (report) => {
      batches.record(report)
      metrics.batches.record(report)
    },
  })
  const inFlight = new InFlight()
  // Each use case runs in a span of its own; the statements and commands it issues are its children.
  const server = await buildServer({
    createAccount: inFlight.track(metered.createAccount(inSpan.createAccount(createAccount({ ledger, ids })))),
    getAccount: withDeadline(workMs, inFlight.track(inSpan.getAccount(getAccount({ accounts, cache: accountCache })))),
    transferFunds: inFlight.track(metered.transferFunds(inSpan.transferFunds(transferFunds({ ledger, ids })))),
    getTransfer: withDeadline(workMs, inFlight.track(inSpan.getTransfer(getTransfer({ transfers })))),
    getBalanceAt: withDeadline(workMs, inFlight.track(inSpan.getBalanceAt(getBalanceAt({ transfers })))),
    transferBatch: inFlight.track(inSpan.transferBatch(transferBatch({ ledger, ids }))),
    resolvePendingTransfer: inFlight.track(inSpan.resolvePendingTransfer(resolvePendingTransfer({ ledger, transfers, ids }))),
    listAccountTransfers: withDeadline(workMs, inFlight.track(inSpan.listAccountTransfers(listAccountTransfers({ accounts, transfers })))),
    readiness: new MariadbReadiness(probeDb, READINESS_MS),
    access: {
      authenticate: access.auth
        ? authenticator({ records: keyRecords, secrets: apiKeySecrets, clock: systemClock, lifetimeMs: access.keyCacheMs })
        : undefined,
      buckets,
      perKey: access.perKey,
      perAddress: access.perAddress,
    },
    docs: access.docs,
    logger,
    extensions: [traceRequests, metrics.http.measure],
    limits: config.http,
  })

  // Once it listens (a start that fails says only why): warn when no key could get in.
  if (access.auth) server.addHook('onListen', () => void warnWithoutKeys(() => keyRecords.list(), logger))

  const sweep = inFlight.track(
    metered.sweepIdempotencyKeys(
      inSpan.sweepIdempotencyKeys(
        sweepIdempotencyKeys({ records, clock: systemClock, batchSize: config.idempotency.sweepBatchSize, maxBatches: 20 }),
      ),
    ),
  )
  const sweeper = every(
    config.idempotency.sweepIntervalSeconds * 1000,
    async () => {
      const deleted = await sweep()
      if (deleted > 0) logger.info({ deleted }, 'expired idempotency keys removed')
    },
    (error) => logger.warn({ err: error }, 'idempotency key sweep failed; will retry'),
  )

  if (!config.events) logger.info({ events: 'off' }, 'events are off (NATS_URL is empty): no outbox rows are written')
  else if (config.events.relay === 'off') logger.info({ events: 'outbox', relay: 'off' }, 'events go to the outbox; a separate relay publishes them (EVENTS_RELAY=off)')
  const relay = config.events?.relay === 'in-process' ? openRelay(config.database, config.events, { logger, metrics }) : undefined
  // Pending transfers past their timeout are released through the write path, in bounded batches.
  const expire = inFlight.track(
    inSpan.expirePendingTransfers(
      expirePendingTransfers({ ledger, transfers, clock: systemClock, batchSize: config.pendingSweep.batchSize, maxBatches: 20 }),
    ),
  )
  const expirer = every(
    config.pendingSweep.intervalMs,
    async () => {
      const expired = await expire()
      if (expired > 0) logger.info({ expired }, 'pending transfers expired')
    },
    (error) => logger.warn({ err: error }, 'pending transfer sweep failed; will retry'),
  )

  return {
    server,
    db,
    cache,
    batches,
    close: async () => {
      sweeper.stop()
      expirer.stop()
      await server.close()
      // Handlers of clients that hung up may still be running; let them finish with the pools open.
      await inFlight.drained()
      // The events of the requests just answered leave with this process when NATS is there to take them.
      await relay?.stop(RELAY_DRAIN_MS)
      for (const close of closers.reverse()) await close()
    },
  }
}

const same = <T>(port: T): T => port

/** How long a stopping service keeps publishing what is left in its outbox. */
const RELAY_DRAIN_MS = 2_000

/** A relay running: publishes the outbox until stopped. */
export interface Relay {
  /** Stops, after publishing what is left for up to `drainMs`, and closes its connections. */
  stop(drainMs?: number): Promise<void>
}

/**
 * The event relay: a pool of its own (it holds a connection while NATS acknowledges a batch, which
 * must not cost the write path one), the JetStream publisher and the loop. Runs in the service
 * (EVENTS_RELAY=in-process) or alone (`npm run relay`).
 */
export function openRelay(database: Config['database'], events: EventsConfig, { logger, metrics }: { logger: Logger; metrics: ServiceMetrics }): Relay {
  const pool = openPool({ ...database, poolSize: 2 })
  const db = openDatabase(database, pool)
  const publisher = new JetStreamPublisher(events)
  const loop = startRelayLoop(relayEvents({ outbox: new MariadbOutboxClaims(db), publisher, batchSize: events.batchSize }), {
    pollMs: events.pollMs,
    logger,
    observe: metrics.events.record,
    onFailure: metrics.events.failed,
  })
  logger.info({ nats: events.natsUrl, stream: events.stream, subjects: `${events.subjectPrefix}.>` }, 'event relay started')
  return {
    stop: async (drainMs = 0) => {
      await loop.stop(drainMs)
      await publisher.close()
      await db.destroy()
      await new Promise((resolve) => pool.end(resolve))
    },
  }
}

/** How long a readiness probe waits for MariadbReadiness's answer. */
const READINESS_MS = 1000

/** Pool settings whose waits for a connection and for an answer fit in `ms`. */
function within(settings: Config['database'], ms: number): Config['database'] {
  return {
    ...settings,
    connectTimeoutMs: Math.min(settings.connectTimeoutMs, ms),
    acquireTimeoutMs: Math.min(settings.acquireTimeoutMs, ms),
    queryTimeoutMs: Math.min(settings.queryTimeoutMs, ms),
  }
}

/** API key lookups answered within `ms` (StoreUnavailable past it), so that checking a key fits the request deadline. */
function withinDeadlineRecords(records: MariadbApiKeyRecords, ms: number): ApiKeyRecords {
  return {
    find: withDeadline(ms, (id: string) => records.find(id)),
    insert: (key) => records.insert(key),
    list: () => records.list(),
    revoke: (id, at) => records.revoke(id, at),
  }
}

const describeRate = (policy: RatePolicy | undefined) => (policy ? `${policy.perSecond}/s, burst ${policy.burst}` : 'off')

/** Says at start who may call and how often; warns when anyone may. */
function logAccessAtStart(config: Config, shared: boolean, logger: Logger): void {
  const { access } = config
  const limits = {
    perKey: describeRate(access.perKey),
    perAddress: describeRate(access.perAddress),
    shared: shared ? 'through Redis' : 'per instance (REDIS_URL is empty)',
  }
  if (!access.auth) {
    logger.warn(
      { auth: 'off', ...limits },
      'authentication is OFF (AUTH=off): anyone who reaches the port may read and move every account; never run so outside local development',
    )
    return
  }
  logger.info({ auth: 'api keys', keyCacheMs: access.keyCacheMs, docs: access.docs, ...limits }, 'access: API keys with scopes, rate limits per key')
}

async function warnWithoutKeys(keys: () => Promise<ApiKey[]>, logger: Logger): Promise<void> {
  // A database that cannot be reached is reported by the requests that need it.
  const active = await keys().then((found) => found.filter((key) => !key.revokedAt).length, () => undefined)
  if (active === 0) logger.warn({ auth: 'api keys', keys: 0 }, 'no API key exists yet: every call but /livez and /readyz answers 401; create one with: npm run keys -- create')
}

/** The operator's side of API keys, for the `keys` command: no server, only the database. */
export interface KeyAdmin {
  create: CreateApiKey
  list(): Promise<ApiKey[]>
  revoke: RevokeApiKey
  close(): Promise<void>
}

export function openKeyAdmin(config: Config): KeyAdmin {
  const db = openDatabase(config.database)
  const records = new MariadbApiKeyRecords(db)
  return {
    create: createApiKey({ records, secrets: apiKeySecrets, clock: systemClock }),
    list: () => records.list(),
    revoke: revokeApiKey({ records, clock: systemClock }),
    close: () => db.destroy(),
  }
}

/**
 * The self-audit, for the `audit` command and tests: the database's snapshot reader and, when
 * REDIS_URL names one that answers within the connect timeout, the cache (reads wait up to a
 * second each: an audit would rather wait than call a slow answer a miss).
 */
export function openAuditor(config: Config, logger: Logger): { audit: (batchSize: number) => AuditLedger; close(): Promise<void> } {
  const db = openDatabase(config.database)
  const settings = config.cache && { ...config.cache, commandTimeoutMs: Math.max(config.cache.commandTimeoutMs, 1000) }
  const redis = settings && createRedisClient(settings)
  redis?.on('error', () => {})
  const cache = redis && settings ? new RedisAccountCache(redis, { ...settings, logger }) : undefined
  // Commands sent before the connection is up fail at once (no offline queue): wait for it.
  const ready = new Promise<boolean>((resolve) => {
    if (!redis || !settings) return resolve(false)
    if (redis.status === 'ready') return resolve(true)
    const timer = setTimeout(() => resolve(false), settings.connectTimeoutMs)
    redis.once('ready', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
  const snapshots = new MariadbSnapshotReader(db)
  return {
    audit: (batchSize) =>
      traced('audit-ledger', async () => {
        const reachable = await ready
        if (cache && !reachable) logger.warn({ redis: 'unreachable' }, 'the cache is not compared: Redis did not answer')
        return auditLedger({ snapshots, cache: reachable ? cache : undefined, batchSize })()
      }),
    close: async () => {
      cache?.close()
      redis?.disconnect()
      await db.destroy()
    },
  }
}
