import { pino } from 'pino'
import { buildServer } from './adapters/http/server.js'
import { MariadbAccountStore } from './adapters/mariadb/account-store.js'
import { ensureDatabase, openDatabase } from './adapters/mariadb/database.js'
import { MariadbIdempotencyRecords } from './adapters/mariadb/idempotency-records.js'
import { migrateToLatest } from './adapters/mariadb/migrate.js'
import { MariadbReadiness } from './adapters/mariadb/readiness.js'
import { MariadbTransferRecords } from './adapters/mariadb/transfer-records.js'
import { createRedisClient } from './adapters/redis/client.js'
import { disabledCache } from './adapters/redis/disabled-cache.js'
import { RedisAccountCache } from './adapters/redis/redis-account-cache.js'
import { systemClock } from './adapters/system/clock.js'
import { InFlight } from './adapters/system/in-flight.js'
import { every } from './adapters/system/schedule.js'
import { UuidV7Generator } from './adapters/system/uuid-v7.js'
import { traceRequests } from './adapters/telemetry/http-spans.js'
import { connectTelemetry } from './adapters/telemetry/sdk.js'
import { traced } from './adapters/telemetry/traced.js'
import { inSpan } from './adapters/telemetry/use-case-spans.js'
import { createAccount } from './app/create-account.js'
import { getAccount } from './app/get-account.js'
import { getTransfer } from './app/get-transfer.js'
import { listAccountTransfers } from './app/list-account-transfers.js'
import { sweepIdempotencyKeys } from './app/sweep-idempotency-keys.js'
import { transferFunds } from './app/transfer-funds.js'
import { loadConfig } from './config.js'

/** The composition root: the only place that knows every adapter. */
async function main(command: string | undefined): Promise<void> {
  const config = loadConfig()
  const logger = pino({ level: config.logLevel })
  const telemetry = connectTelemetry(logger)
  const db = openDatabase(config.database)
  // One trace for the start-up statements rather than a trace of one span for each.
  const applied = await traced('migrate', async () => {
    await ensureDatabase(config.database)
    return migrateToLatest(db)
  })()
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied')

  if (command === 'migrate') {
    console.log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'database is up to date')
    await db.destroy()
    return
  }
  if (command !== undefined) throw new Error(`Unknown command "${command}"; expected none or "migrate"`)

  // Redis being down at start is fine: reads fall through to MariaDB until it connects.
  const redis = config.cache && createRedisClient(config.cache)
  redis?.on('error', () => {}) // reported, rate-limited, by the cache; ioredis reconnects by itself
  const cache = redis && config.cache ? new RedisAccountCache(redis, { ...config.cache, logger }) : disabledCache
  logger.info({ cache: config.cache ? 'redis' : 'disabled' }, 'account cache')

  const accounts = new MariadbAccountStore(db)
  const records = new MariadbIdempotencyRecords(db)
  const transfers = new MariadbTransferRecords(db)
  const keyed = { accounts, records, clock: systemClock, retentionMs: config.idempotency.retentionHours * 3_600_000 }
  const inFlight = new InFlight()
  // Each use case runs in a span of its own; the statements and commands it issues are its children.
  const app = await buildServer({
    createAccount: inFlight.track(inSpan.createAccount(createAccount({ ...keyed, cache }))),
    getAccount: inFlight.track(inSpan.getAccount(getAccount({ accounts, cache }))),
    transferFunds: inFlight.track(inSpan.transferFunds(transferFunds({ ...keyed, cache, ids: new UuidV7Generator() }))),
    getTransfer: inFlight.track(inSpan.getTransfer(getTransfer({ transfers }))),
    listAccountTransfers: inFlight.track(inSpan.listAccountTransfers(listAccountTransfers({ accounts, transfers }))),
    readiness: new MariadbReadiness(db),
    logger,
    extensions: [traceRequests],
  })

  const sweep = inSpan.sweepIdempotencyKeys(
    sweepIdempotencyKeys({ records, clock: systemClock, batchSize: config.idempotency.sweepBatchSize, maxBatches: 20 }),
  )
  const sweeper = every(config.idempotency.sweepIntervalSeconds * 1000, async () => {
    const deleted = await inFlight.track(sweep)()
    if (deleted > 0) logger.info({ deleted }, 'expired idempotency keys removed')
  }, (error) => logger.warn({ err: error }, 'idempotency key sweep failed; will retry'))

  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal }, 'shutting down: draining in-flight requests')
    const forced = setTimeout(() => {
      logger.error('shutdown timed out; exiting with requests still open')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    forced.unref()
    sweeper.stop()
    await app.close()
    // Handlers of clients that hung up may still be running; let them finish with the pools open.
    await inFlight.drained()
    if (cache instanceof RedisAccountCache) cache.close()
    redis?.disconnect()
    await db.destroy()
    // Last, so the spans of the final statements are in the flush.
    const flushed = await telemetry.shutdown()
    logger.info('shutdown complete')
    // Export retries towards an unreachable collector would hold the process open; nothing else is left.
    if (!flushed) process.exit(0)
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (s) => void shutdown(s))

  await app.listen({ port: config.port, host: config.host })
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
