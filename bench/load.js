// @ts-check
// `npm run load`: load scenarios with autocannon against a service this script starts (or one
// given with --url), next to the ceilings this machine allows, all in one run so results compare
// as ratios. Prints a live progress line, then a table; writes JSON and Markdown to bench/results/.
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import mysql from 'mysql2/promise'
import { runTransferCeiling } from './ceiling-transfer.js'
import { databasePid, startCpuMeter } from './cpu.js'
import { markdown, save, toRow } from './report.js'
import { startOtlpSink } from './otlp-sink.js'
import { startService } from './service.js'

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    scenarios: { type: 'string', default: 'seed,uniform,ceiling-transfer,reads,reads-uncached,ceiling-read,mix' },
    tracing: { type: 'string', default: 'default' },
  },
})

/**
 * Tracing settings a run can compare; each starts its own service. 'unsampled' instruments every
 * request but records none: the cost of instrumentation alone. 'default' keeps the caller's
 * OTEL_* environment (the service's defaults when none is set).
 * @type {Record<string, Record<string, string>>}
 */
const TRACING = {
  default: {},
  always: { OTEL_TRACES_SAMPLER: 'always_on' },
  ratio: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  unsampled: { OTEL_TRACES_SAMPLER: 'parentbased_always_off' },
  off: { OTEL_SDK_DISABLED: 'true' },
}
const duration = Number(args.duration)
const warmup = Number(args.warmup)
const connections = Number(args.connections)
const JSON_HEADERS = { 'content-type': 'application/json' }
const ACCOUNTS = { first: 100_000, count: 10_000 }
const POOL_SIZE = Number(process.env.DB_POOL_SIZE ?? 10)

/** @param {string} base @param {string} path @param {unknown} body */
async function post(base, path, body) {
  const response = await fetch(base + path, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) })
  await response.arrayBuffer()
  return response.status
}

/** @param {string} base @param {number} id */
async function balance(base, id) {
  const response = await fetch(`${base}/v1/accounts/${id}`)
  return /** @type {{ balance: string }} */ (await response.json()).balance
}

/** A live progress line on stderr. @param {string} name */
function progressLine(name) {
  let done = 0
  const started = Date.now()
  const timer = setInterval(() => {
    const seconds = (Date.now() - started) / 1000
    process.stderr.write(`\r${name}: ${done} requests in ${seconds.toFixed(0)} s (${Math.round(done / seconds)} req/s)      `)
  }, 1000)
  return {
    update: (/** @type {number} */ n) => (done = n),
    end: () => {
      clearInterval(timer)
      process.stderr.write('\n')
    },
  }
}

/**
 * Runs autocannon and counts the CPU time the target and MariaDB spend meanwhile. A timed run is
 * preceded by `--warmup` seconds of the same load, unmeasured: a fresh process runs at half speed
 * for its first seconds while V8 compiles the hot paths, and the service has more of them to
 * compile than a ceiling, so without it short runs understate the service more than the ceiling.
 * @param {Context} ctx @param {string} name @param {autocannon.Options} options
 * @returns {Promise<{ result: autocannon.Result, cpu: Record<string, number | undefined> }>}
 */
async function cannon(ctx, name, options) {
  if (warmup > 0 && options.duration !== undefined) await autocannonRun(`${name} (warm-up)`, { ...options, duration: warmup })
  const meter = startCpuMeter(ctx.pids)
  const result = await autocannonRun(name, options)
  return { result, cpu: meter.stop(result.requests.total) }
}

/** @param {string} name @param {autocannon.Options} options @returns {Promise<autocannon.Result>} */
function autocannonRun(name, options) {
  return new Promise((resolve, reject) => {
    const progress = progressLine(name)
    let done = 0
    const instance = autocannon(options, (error, result) => {
      progress.end()
      if (error) reject(error)
      else resolve(result)
    })
    instance.on('response', () => progress.update(++done))
  })
}

const randomAccount = () => ACCOUNTS.first + Math.floor(Math.random() * ACCOUNTS.count)
function randomTransfer() {
  const from = randomAccount()
  let to = randomAccount()
  while (to === from) to = randomAccount()
  return { from, to, amount: `${1 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 100)}` }
}
const transferBody = () => {
  const { from, to, amount } = randomTransfer()
  return JSON.stringify({ source_account_id: from, destination_account_id: to, amount })
}

/** Opens the 10,000 accounts of the uniform and read scenarios (idempotent: 409s are fine). */
async function ensureAccounts(base) {
  // Opened in one go by an earlier scenario (or an earlier run against --url): nothing to do.
  const last = await fetch(`${base}/v1/accounts/${ACCOUNTS.first + ACCOUNTS.count - 1}`)
  await last.arrayBuffer()
  if (last.status === 200) return
  let next = ACCOUNTS.first
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < ACCOUNTS.first + ACCOUNTS.count) {
        const id = next++
        const status = await post(base, '/v1/accounts', { account_id: id, initial_balance: '1000000' })
        if (status !== 201 && status !== 409) throw new Error(`creating account ${id} answered ${status}`)
      }
    }),
  )
}

/** GETs of random accounts for `duration` seconds. @param {Context} ctx @param {string} label */
async function reads(ctx, label) {
  const { result, cpu } = await cannon(ctx, label, {
    url: ctx.base, connections, duration,
    requests: [{ setupRequest: (request) => ({ ...request, method: 'GET', path: `/v1/accounts/${randomAccount()}` }) }],
  })
  return toRow(label, result, cpu)
}

/**
 * Each scenario names the target it runs against: the service with its cache ('service'), the
 * service with REDIS_URL empty ('uncached'), or a ceiling.
 * @type {Record<string, { target: 'service' | 'uncached' | 'ceiling-read' | 'none', run: (ctx: Context) => Promise<import('./report.js').Row> }>}
 * @typedef {{ base: string, databaseUrl: string | undefined, pids: { target: number | undefined, mariadb: number | undefined } }} Context
 */
const SCENARIOS = {
  // 10,000 transfers of "1" from 1001 to 1002: every one fights for the same two row locks.
  seed: {
    target: 'service',
    async run(ctx) {
      const { base } = ctx
      const [source, destination] = [1001, 1002]
      for (const [id, initial] of [[source, '50000'], [destination, '0']]) {
        const status = await post(base, '/v1/accounts', { account_id: id, initial_balance: initial })
        if (status !== 201) throw new Error(`seed needs fresh accounts 1001 and 1002; creating ${id} answered ${status}`)
      }
      const body = JSON.stringify({ source_account_id: source, destination_account_id: destination, amount: '1' })
      const { result, cpu } = await cannon(ctx, 'seed', {
        url: `${base}/v1/transfers`, connections, amount: 10_000, method: 'POST', headers: JSON_HEADERS, body,
      })
      const row = toRow('1. seed: 10,000 × "1", 1001 → 1002', result, cpu)
      const [after1, after2] = [await balance(base, source), await balance(base, destination)]
      const accepted = result.statusCodeStats?.['201']?.count ?? 0
      if (after1 !== '40000' || after2 !== '10000' || accepted !== 10_000) {
        throw new Error(`SEED CHECK FAILED: balances ${after1} / ${after2} after ${accepted} accepted transfers; expected 40000 / 10000 after 10000`)
      }
      row.note = 'checked: 40000 / 10000'
      return row
    },
  },
  uniform: {
    target: 'service',
    async run(ctx) {
      await ensureAccounts(ctx.base)
      const { result, cpu } = await cannon(ctx, 'uniform', {
        url: `${ctx.base}/v1/transfers`, connections, duration, method: 'POST', headers: JSON_HEADERS,
        requests: [{ setupRequest: (request) => ({ ...request, body: transferBody() }) }],
      })
      return toRow(`2. uniform transfers, 10,000 accounts`, result, cpu)
    },
  },
  'ceiling-transfer': {
    target: 'none',
    async run({ databaseUrl, pids }) {
      if (!databaseUrl) throw new Error('the transfer ceiling needs the database; run without --url')
      const progress = progressLine('ceiling (a)')
      const result = await runTransferCeiling({
        databaseUrl, poolSize: POOL_SIZE, connections, warmupS: warmup, durationS: duration, pick: randomTransfer,
        progress: progress.update,
        // The ceiling's client is this process: its CPU is what stands in for the service's.
        startMeter: () => startCpuMeter({ target: process.pid, mariadb: pids.mariadb }),
      }).finally(progress.end)
      const errors = Object.values(result.failures).reduce((a, b) => a + b, 0)
      return {
        scenario: `(a) ceiling: stored procedure via mysql2, pool ${POOL_SIZE}`, ...result, non2xx: {}, errors,
        note: JSON.stringify(result.failures) === '{}' ? '' : JSON.stringify(result.failures),
      }
    },
  },
  reads: {
    target: 'service',
    async run(ctx) {
      await ensureAccounts(ctx.base)
      return reads(ctx, '3. cache-hit reads, 10,000 accounts')
    },
  },
  'reads-uncached': {
    target: 'uncached',
    async run(ctx) {
      await ensureAccounts(ctx.base)
      return reads(ctx, '3′. reads with REDIS_URL= (cache off)')
    },
  },
  'ceiling-read': {
    target: 'ceiling-read',
    async run(ctx) {
      // It reads the keys the service cached; only the service can put them there.
      const probe = await fetch(`${ctx.base}/v1/accounts/${ACCOUNTS.first}`)
      if (probe.status !== 200) throw new Error('ceiling-read needs the keys that `reads` caches: run it after reads')
      return reads(ctx, '(b) ceiling: bare Fastify + ioredis GET')
    },
  },
  mix: {
    target: 'service',
    async run(ctx) {
      await ensureAccounts(ctx.base)
      const { result, cpu } = await cannon(ctx, 'mix', {
        url: ctx.base, connections, duration,
        requests: [
          {
            setupRequest: (request) =>
              Math.random() < 0.8
                ? { ...request, method: 'GET', path: `/v1/accounts/${randomAccount()}`, body: undefined }
                : { ...request, method: 'POST', path: '/v1/transfers', headers: JSON_HEADERS, body: transferBody() },
          },
        ],
      })
      return toRow('4. mix: 80 % reads, 20 % transfers', result, cpu)
    },
  },
}

async function main() {
  const names = String(args.scenarios).split(',').filter(Boolean)
  for (const name of names) if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`)
  const tracings = String(args.tracing).split(',').filter(Boolean)
  for (const name of tracings) if (!TRACING[name]) throw new Error(`unknown tracing ${name}; known: ${Object.keys(TRACING).join(', ')}`)
  const sink = await startOtlpSink()

  let databaseUrl
  const env = {}
  if (!args.url) {
    // A fresh database for every run, so the seed scenario starts from known balances, and a fresh
    // key prefix, so keys of earlier runs (same ids, higher versions) are not mistaken for this run's.
    databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/transfers_bench'
    const server = new URL(databaseUrl)
    const name = server.pathname.slice(1)
    server.pathname = ''
    const admin = await mysql.createConnection(server.toString())
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``)
    await admin.end()
    Object.assign(env, { DATABASE_URL: databaseUrl, REDIS_KEY_PREFIX: `bench-${Date.now()}:` })
  }
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint })
  console.log(`load: ${connections} connections, ${duration} s per timed scenario after ${warmup} s of warm-up, scenarios ${names.join(', ')}, tracing ${tracings.join(', ')}`)

  /** @type {Map<string, Awaited<ReturnType<typeof startService>>>} */
  const running = new Map()
  /** One service at a time: the one `key` names is started (others stopped) when first needed. */
  const targetUrl = async (/** @type {string} */ target, /** @type {string} */ key, /** @type {Record<string, string>} */ tracing) => {
    if (args.url) {
      if (target !== 'service' && target !== 'none') throw new Error(`scenario target ${target} needs a service this script starts`)
      return args.url
    }
    for (const [name, service] of running) {
      if (name !== key) {
        await service.stop()
        running.delete(name)
      }
    }
    if (target === 'none') return ''
    let service = running.get(key)
    if (!service) {
      const variant =
        target === 'uncached' ? { env: { ...env, ...tracing, REDIS_URL: '' } }
        : target === 'ceiling-read' ? { env, script: new URL('ceiling-read-server.js', import.meta.url).pathname }
        : { env: { ...env, ...tracing } }
      service = await startService(variant)
      running.set(key, service)
    }
    return service.url
  }

  const rows = []
  try {
    for (const tracingName of tracings) {
      for (const name of names) {
        const scenario = /** @type {(typeof SCENARIOS)[string]} */ (SCENARIOS[name])
        // Ceilings do not depend on tracing, and the seed needs fresh accounts: once per run.
        const once = scenario.target === 'none' || scenario.target === 'ceiling-read' || name === 'seed'
        if (once && tracingName !== tracings[0]) continue
        const key = `${scenario.target}/${tracingName}`
        const base = await targetUrl(scenario.target, key, /** @type {Record<string, string>} */ (TRACING[tracingName]))
        const pids = { target: args.url ? undefined : running.get(key)?.pid, mariadb: databasePid() }
        const row = await scenario.run({ base, databaseUrl, pids })
        if (tracings.length > 1 && scenario.target !== 'none' && scenario.target !== 'ceiling-read') row.scenario += ` [tracing ${tracingName}]`
        row.peakRssMb = running.get(key)?.peakRssMb()
        rows.push(row)
      }
    }
  } finally {
    for (const service of running.values()) await service.stop()
    await sink.close()
  }
  console.log(`spans exported to the sink: ${sink.stats().requests} requests, ${Math.round(sink.stats().bytes / 1024)} KiB`)
  console.log(`\n${markdown(rows)}\n`)
  const files = save(rows, { connections, duration, warmup, node: process.version, at: new Date().toISOString() })
  console.log(`saved ${files.json} and ${files.md}`)
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
