// @ts-check
// CPU time per cached read, per telemetry setting: a short, focused measurement (a few seconds per
// setting), not a load test. Each setting starts the built service (as `npm start` does) on a fresh
// database, opens and caches a few accounts, runs an unmeasured warm-up, then reads for --duration
// seconds while counting the service's utime + stime from /proc. CPU per request repeats within a
// few percent on a busy machine where requests per second do not, so compare µs/request.
//
//   npm run build && node scripts/read-cost.js --settings off,unsampled,ratio,always,ceiling
//
// Settings: off (OTEL_SDK_DISABLED), unsampled (parentbased_always_off), ratio (0.1), always
// (always_on), always-proto (always_on over http/protobuf), nometrics (always_on,
// OTEL_METRICS_EXPORTER=none), ceiling (a bare Fastify + ioredis handler, bench/ceiling-read-server.js).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import mysql from 'mysql2/promise'

const { values: args } = parseArgs({
  options: {
    settings: { type: 'string', default: 'off,unsampled,ratio,always,ceiling' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    accounts: { type: 'string', default: '200' },
    // e.g. --node-args=--cpu-prof,--cpu-prof-dir=/tmp/prof to profile each setting
    'node-args': { type: 'string', default: '' },
  },
})

/** @type {Record<string, Record<string, string>>} */
const SETTINGS = {
  off: { OTEL_SDK_DISABLED: 'true' },
  unsampled: { OTEL_TRACES_SAMPLER: 'parentbased_always_off' },
  ratio: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  always: { OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
  'always-proto': { OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
  nometrics: { OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_METRICS_EXPORTER: 'none' },
  ceiling: {},
}

const ROOT = new URL('..', import.meta.url).pathname
const DATABASE = 'transfers_read_cost'
const SERVER_URL = process.env.BENCH_SERVER_URL ?? 'mysql://root@127.0.0.1:3306'
const TICKS_PER_S = 100
const FIRST = 500_000
const COUNT = Number(args.accounts)

function cpuSeconds(/** @type {number} */ pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S
}

async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  await new Promise((resolve) => server.close(resolve))
  return address.port
}

/** A collector stand-in that takes any OTLP/HTTP export and keeps nothing but counts. */
async function startSink() {
  let requests = 0
  let bytes = 0
  const server = createHttpServer((request, response) => {
    request.on('data', (chunk) => (bytes += chunk.length))
    request.on('end', () => {
      requests++
      response.writeHead(200, { 'content-type': String(request.headers['content-type'] ?? 'application/json') }).end()
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
  return { url: `http://127.0.0.1:${port}`, stats: () => ({ requests, bytes }), close: () => server.close() }
}

/** @param {string[]} argv @param {Record<string, string>} env */
async function start(argv, env) {
  const port = await freePort()
  const child = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  while (!(await fetch(`${url}/readyz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('did not become ready')
    await sleep(100)
  }
  return {
    url,
    pid: /** @type {number} */ (child.pid),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(10_000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

/** @param {string} url */
function cannon(url, seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: Number(args.connections),
        duration: seconds,
        requests: [{ setupRequest: (request) => ({ ...request, path: `/v1/accounts/${FIRST + Math.floor(Math.random() * COUNT)}` }) }],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
}

const { scripts } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'))
const nodeArgs = String(args['node-args']).split(',').filter(Boolean)
const serviceArgv = [...nodeArgs, ...String(scripts.start).split(/\s+/).slice(1)]
const admin = await mysql.createConnection(SERVER_URL)
await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`)
await admin.end()
const sink = await startSink()
const prefix = `read_cost_${process.pid}:`
const base = { DATABASE_URL: `${SERVER_URL}/${DATABASE}`, REDIS_KEY_PREFIX: prefix, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url }
const rows = []
let cached = false

for (const name of String(args.settings).split(',')) {
  const setting = SETTINGS[name]
  if (!setting) throw new Error(`unknown setting ${name}; known: ${Object.keys(SETTINGS).join(', ')}`)
  if (name === 'ceiling' && !cached) throw new Error('ceiling reads the keys a service setting cached: list it after one')
  const target =
    name === 'ceiling'
      ? await start([`${ROOT}bench/ceiling-read-server.js`], { REDIS_KEY_PREFIX: prefix })
      : await start(serviceArgv, { ...base, ...setting })
  if (!cached) {
    for (let id = FIRST; id < FIRST + COUNT; id++) {
      const body = JSON.stringify({ account_id: id, initial_balance: '1000' })
      await fetch(`${target.url}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer())
    }
    cached = true
  }
  for (let id = FIRST; id < FIRST + COUNT; id++) await fetch(`${target.url}/v1/accounts/${id}`).then((r) => r.arrayBuffer())
  await cannon(target.url, Number(args.warmup))
  const before = cpuSeconds(target.pid)
  const result = /** @type {any} */ (await cannon(target.url, Number(args.duration)))
  const cpu = cpuSeconds(target.pid) - before
  const total = result.requests.total
  rows.push({ setting: name, 'req/s': Math.round(result.requests.average), 'CPU µs/req': Math.round((cpu * 1e6) / total), non2xx: result.non2xx })
  await target.stop()
}
sink.close()
console.table(rows)
console.log(`exported to the sink: ${sink.stats().requests} requests, ${Math.round(sink.stats().bytes / 1024)} KiB`)
