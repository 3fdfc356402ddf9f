// @ts-check
// `npm run load`: load scenarios with autocannon against services this script starts (or one given
// with --url), next to the ceilings this machine allows, all in one run so results compare as
// ratios. One file per scenario under bench/scenarios/; `--help` lists them and the options.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { databasePid, natsPid } from './lib/cpu.js'
import { openLedger } from './lib/ledger.js'
import { startOtlpSink } from './lib/otlp-sink.js'
import { addRatios, save, table } from './lib/report.js'
import { useApiKey } from './lib/workload.js'
import { startService } from './lib/service.js'
import { AUTH, EVENTS, helpText, METRICS, parseOptions, TRACING } from './options.js'
import ceilingRead from './scenarios/ceiling-read.js'
import { hotPairCeiling, uniformCeiling } from './scenarios/ceilings.js'
import hotPair from './scenarios/hot-pair.js'
import mix from './scenarios/mix.js'
import readsUncached from './scenarios/reads-uncached.js'
import reads from './scenarios/reads.js'
import seed from './scenarios/seed.js'
import uniform from './scenarios/uniform.js'

/** @type {Record<string, import('./lib/types.js').Scenario>} */
const SCENARIOS = Object.fromEntries(
  [seed, uniform, uniformCeiling, hotPair, hotPairCeiling, reads, readsUncached, ceilingRead, mix].map((scenario) => [scenario.name, scenario]),
)

const POOL_SIZE = Number(process.env.DB_POOL_SIZE ?? 10)

/** Seconds a run of these options takes, roughly: timed scenarios plus a few seconds per service. @param {ReturnType<typeof plan>} steps @param {{ duration: number, warmup: number }} options */
function estimate(steps, { duration, warmup }) {
  const timed = steps.filter((step) => !step.scenario.once).length * (duration + warmup)
  const services = new Set(steps.map((step) => step.key)).size * 3
  return timed + services + (steps.some((step) => step.scenario.name === 'seed') ? 10 : 0)
}

/**
 * The service settings a run compares: every combination of the listed batch sizes, tracing,
 * access and metrics settings, the first combination first.
 * @param {NonNullable<Exclude<ReturnType<typeof parseOptions>, { help: true }>>} options
 */
function variants(options) {
  return options.auths.flatMap((auth) =>
    options.tracings.flatMap((tracing) =>
      options.metrics.flatMap((metrics) =>
        options.batchSizes.flatMap((batchSize) => options.events.map((events) => ({ batchSize, tracing, auth, metrics, events }))),
      ),
    ),
  )
}

/**
 * Every (scenario, connections, service settings) a run measures, in order. Ceilings do not
 * depend on the service's settings: once per connection count. The seed needs fresh accounts:
 * once per run.
 * @param {NonNullable<Exclude<ReturnType<typeof parseOptions>, { help: true }>>} options
 */
function plan(options) {
  const steps = []
  for (const [index, variant] of variants(options).entries()) {
    for (const connections of options.connections) {
      for (const name of options.scenarios) {
        const scenario = /** @type {import('./lib/types.js').Scenario} */ (SCENARIOS[name])
        const independent = scenario.target === 'none' || scenario.target === 'ceiling-read'
        if ((independent || scenario.once) && index > 0) continue
        if (scenario.once && connections !== options.connections[0]) continue
        const key = independent
          ? scenario.target
          : `${scenario.target}/${variant.tracing}/${variant.batchSize ?? 'default'}/${variant.auth}/${variant.metrics}/${variant.events}`
        const settings = independent ? { batchSize: undefined, tracing: undefined, auth: undefined, metrics: undefined, events: undefined } : variant
        steps.push({ scenario, connections, ...settings, key })
      }
    }
  }
  return steps
}

async function main() {
  const parsed = parseOptions(process.argv.slice(2), Object.keys(SCENARIOS))
  if (parsed.help) {
    console.log(helpText(Object.fromEntries(Object.values(SCENARIOS).map((scenario) => [scenario.name, scenario.describe]))))
    return
  }
  const options = parsed
  const steps = plan(options)
  const sink = await startOtlpSink()

  let databaseUrl
  /** @type {Record<string, string>} */
  const env = {}
  const keyPrefix = `bench-${Date.now()}:`
  const eventStream = `BENCH_${Date.now()}`
  if (!options.url) {
    // A fresh database for every run, so the seed starts from known balances, and a fresh key
    // prefix, so keys of earlier runs (same ids, higher versions) are not mistaken for this run's.
    databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/transfers_bench'
    await dropDatabase(databaseUrl)
    Object.assign(env, { DATABASE_URL: databaseUrl, REDIS_KEY_PREFIX: keyPrefix })
  }
  // The key the `on` services are sent, made as an operator makes one (this also creates the database).
  const apiKey = options.url ? process.env.BENCH_API_KEY : options.auths.includes('on') ? await createApiKey(env) : undefined
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint })
  console.log(
    `load: ${steps.length} measurements (${options.scenarios.join(', ')}; connections ${options.connections.join(', ')}; ` +
      `batch sizes ${options.batchSizes.map((size) => size ?? 'default').join(', ')}; tracing ${options.tracings.join(', ')}; auth ${options.auths.join(', ')}; ` +
      `metrics ${options.metrics.join(', ')}; events ${options.events.join(', ')}), ` +
      `${options.duration} s each after ${options.warmup} s of warm-up: about ${Math.ceil(estimate(steps, options) / 60)} min`,
  )

  /** @type {Map<string, Awaited<ReturnType<typeof startService>>>} */
  const running = new Map()
  /** One service at a time: the one `step` needs is started (the others stopped) when first needed. */
  const targetOf = async (/** @type {(typeof steps)[number]} */ step) => {
    if (options.url) {
      if (step.scenario.target !== 'service' && step.scenario.target !== 'none') throw new Error(`${step.scenario.name} needs a service this script starts; drop --url`)
      return { url: options.url, pid: undefined, metricsUrl: undefined }
    }
    for (const [key, service] of running) {
      if (key !== step.key) {
        await service.stop()
        running.delete(key)
      }
    }
    if (step.scenario.target === 'none') return { url: '', pid: undefined, metricsUrl: undefined }
    let service = running.get(step.key)
    if (!service) {
      const settings = {
        ...env,
        ...(step.tracing ? TRACING[/** @type {keyof typeof TRACING} */ (step.tracing)] : {}),
        ...(step.batchSize === undefined ? {} : { BATCH_MAX_SIZE: String(step.batchSize) }),
        ...(step.auth ? AUTH[/** @type {keyof typeof AUTH} */ (step.auth)] : {}),
        ...(step.metrics ? METRICS[/** @type {keyof typeof METRICS} */ (step.metrics)] : {}),
        ...EVENTS[/** @type {keyof typeof EVENTS} */ (step.events ?? options.events[0])],
        NATS_STREAM: eventStream,
        NATS_SUBJECT_PREFIX: `bench.${eventStream}`,
      }
      service =
        step.scenario.target === 'ceiling-read'
          ? await startService({ env, script: new URL('ceilings/read-server.js', import.meta.url).pathname })
          : await startService({ env: step.scenario.target === 'uncached' ? { ...settings, REDIS_URL: '' } : settings })
      running.set(step.key, service)
    }
    return service
  }

  const ledger = databaseUrl ? openLedger(databaseUrl) : undefined
  const mariadb = await databasePid(databaseUrl)
  const nats = natsPid(process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222')
  /** @type {import('./lib/types.js').Row[]} */
  const rows = []
  try {
    for (const step of steps) {
      const target = await targetOf(step)
      useApiKey(step.auth === 'off' ? undefined : apiKey)
      const row = await step.scenario.run({
        base: target.url,
        databaseUrl,
        ledger,
        pids: { target: target.pid, mariadb, ...((step.events ?? options.events[0]) === 'off' ? {} : { nats }) },
        metricsUrl: target.metricsUrl,
        connections: step.connections,
        duration: options.duration,
        warmup: options.warmup,
        poolSize: POOL_SIZE,
      })
      rows.push({
        ...row,
        batchSize: step.batchSize,
        tracing: options.tracings.length > 1 ? step.tracing : undefined,
        auth: options.auths.length > 1 ? step.auth : undefined,
        metrics: options.metrics.length > 1 ? step.metrics : undefined,
        events: options.events.length > 1 ? step.events : undefined,
        peakRssMb: running.get(step.key)?.peakRssMb(),
      })
      console.log(`  done: ${row.scenario} (conn ${step.connections}): ${row.rps} req/s, p99 ${row.p99} ms${row.note ? `; ${row.note}` : ''}`)
    }
  } finally {
    for (const service of running.values()) await service.stop()
    await sink.close()
    await ledger?.close()
    if (databaseUrl && !options.keep) await cleanUp(databaseUrl, keyPrefix)
    if (!options.keep) await removeStream(EVENTS.on.NATS_URL, eventStream)
  }
  addRatios(rows)
  const { requests, bytes } = sink.stats()
  console.log(`\n${table(rows)}\n`)
  console.log(`telemetry: the OTLP sink took ${requests} span exports (${Math.round(bytes / 1024)} KiB) from the services of this run`)
  const files = save(rows, { ...options, node: process.version, at: new Date().toISOString() })
  console.log(`saved ${files.json} and ${files.md}`)
}

/** A new API key for the bench database, by the service's own keys command. @param {Record<string, string>} env */
async function createApiKey(env) {
  const { stdout } = await promisify(execFile)(process.execPath, [new URL('../dist/main.js', import.meta.url).pathname, 'keys', 'create', '--name', 'bench'], {
    env: { ...process.env, ...env },
  })
  return stdout.trim()
}

/** Removes the run's event stream, if the services made one. @param {string} natsUrl @param {string} stream */
async function removeStream(natsUrl, stream) {
  const nc = await connect({ servers: natsUrl, maxReconnectAttempts: 0 }).catch(() => undefined)
  if (!nc) return
  await jetstreamManager(nc)
    .then((jsm) => jsm.streams.delete(stream))
    .catch(() => {})
  await nc.close()
}

/** @param {string} databaseUrl */
async function dropDatabase(databaseUrl) {
  const server = new URL(databaseUrl)
  const name = server.pathname.slice(1)
  if (!/^\w+$/.test(name)) throw new Error(`BENCH_DATABASE_URL must name a database of letters, digits and underscores; got "${name}"`)
  server.pathname = ''
  const admin = await mysql.createConnection(server.toString())
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``)
  await admin.end()
}

/** Drops the bench database and the run's Redis keys. @param {string} databaseUrl @param {string} keyPrefix */
async function cleanUp(databaseUrl, keyPrefix) {
  await dropDatabase(databaseUrl)
  const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true })
  redis.on('error', () => {})
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } catch {
    // No Redis: nothing was cached.
  } finally {
    redis.disconnect()
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
