import { type Logger, pino } from 'pino'
import { auditCommand } from './adapters/cli/audit-command.js'
import { keysCommand } from './adapters/cli/keys-command.js'
import { databaseFailure, exitOnStartupFailure, listenFailure } from './adapters/system/start-up-failures.js'
import { connectTelemetry } from './adapters/telemetry/sdk.js'
import { buildApplication, checkDurability, migrateDatabase, openAuditor, openKeyAdmin, openRelay } from './application.js'
import { createMetrics } from './adapters/telemetry/metrics/index.js'
import { type Config, loadConfig } from './config.js'

/** The process: configuration, logs and telemetry, then the application, then signals. */
async function main(command: string | undefined): Promise<void> {
  const config = loadConfig()
  if (command === 'keys') return keys(config)
  if (command === 'audit') return audit(config)
  const logger = pino({ level: config.logLevel })
  const telemetry = connectTelemetry(logger)
  const applied = await migrateDatabase(config).catch(databaseFailure(config.database.url))
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied')

  if (command === 'migrate') {
    console.log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'database is up to date')
    return
  }
  if (command === 'relay') return relay(config, logger, telemetry)
  if (command !== undefined) throw new Error(`Unknown command "${command}"; expected none, "migrate", "relay", "keys" or "audit"`)

  await checkDurability(config, logger)
  const app = await buildApplication(config, { logger })

  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal }, 'shutting down: draining in-flight requests')
    const forced = setTimeout(() => {
      logger.error('shutdown timed out; exiting with requests still open')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    forced.unref()
    await app.close()
    // Last, so the spans of the final statements are in the flush.
    const flushed = await telemetry.shutdown()
    logger.info('shutdown complete')
    // Export retries towards an unreachable collector would hold the process open; nothing else is left.
    if (!flushed) process.exit(0)
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (s) => void shutdown(s))

  await app.server.listen({ port: config.port, host: config.host }).catch(listenFailure(config.host, config.port))
}

/** `relay`: the event relay alone, for deployments that run the service with EVENTS_RELAY=off. */
async function relay(config: Config, logger: Logger, telemetry: { shutdown(): Promise<boolean> }): Promise<void> {
  if (!config.events) throw new Error('NATS_URL is empty: there are no events to relay')
  const metrics = createMetrics()
  const running = openRelay(config.database, config.events, { logger, metrics })
  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal }, 'relay shutting down: publishing what is left in the outbox')
    await running.stop(config.shutdownTimeoutMs / 2)
    metrics.close()
    const flushed = await telemetry.shutdown()
    logger.info('relay stopped')
    if (!flushed) process.exit(0)
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (s) => void shutdown(s))
}

/** `keys create|list|revoke`: the key goes to stdout alone, everything else to stderr. */
async function keys(config: Config): Promise<void> {
  await migrateDatabase(config).catch(databaseFailure(config.database.url))
  const admin = openKeyAdmin(config)
  try {
    process.exitCode = await keysCommand(process.argv.slice(3), {
      ...admin,
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      keyCacheMs: config.access.keyCacheMs,
    })
  } finally {
    await admin.close()
  }
}

/** `audit`: the report on stdout; exit 1 on any violation. */
async function audit(config: ReturnType<typeof loadConfig>): Promise<void> {
  await migrateDatabase(config).catch(databaseFailure(config.database.url))
  const auditor = openAuditor(config, pino({ level: 'warn' }, pino.destination(2)))
  try {
    process.exitCode = await auditCommand(process.argv.slice(3), {
      audit: auditor.audit,
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      now: () => performance.now(),
    })
  } finally {
    await auditor.close()
  }
}

main(process.argv[2]).catch(exitOnStartupFailure)
