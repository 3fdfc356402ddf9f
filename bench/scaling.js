// @ts-check
// `npm run load:scaling`: the scale-out trade-off of docs/scaling.md, in one run. Three service
// instances (as `npm start` runs them) against (1) one MariaDB, (2) a 3-node Galera cluster with
// each instance writing to its own node, (3) the same cluster with every instance writing to node 1
// and the others listed for failover; uniform transfers and one hot pair; the load split evenly over
// the instances. The servers are the run's own (a private MariaDB with a Galera node's InnoDB
// settings, and scripts/galera-cluster.sh), removed afterwards.
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import mysql from 'mysql2/promise'
import { startGalera, startStandalone } from './lib/mariadb-server.js'
import { startService } from './lib/service.js'
import { ACCOUNTS, HOT_PAIR, JSON_HEADERS, transferBody } from './lib/workload.js'

const HELP = `npm run load:scaling -- [--duration 8] [--warmup 3] [--connections 63] [--topologies one,writers,single-writer] [--workloads uniform,hot-pair]
  --duration     seconds measured per (topology, workload) (default 8)
  --warmup       seconds of the same load first, unmeasured (default 3)
  --connections  HTTP connections in all, split evenly over the 3 instances (default 63)
Prints one Markdown table; about (warmup + duration) × 6 + 60 s in all.`

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '63' },
    topologies: { type: 'string', default: 'one,writers,single-writer' },
    workloads: { type: 'string', default: 'uniform,hot-pair' },
    help: { type: 'boolean', default: false },
  },
})
if (values.help) {
  console.log(HELP)
  process.exit(0)
}
const duration = Number(values.duration)
const warmup = Number(values.warmup)
const perInstance = Math.max(1, Math.round(Number(values.connections) / 3))

/** Instance i's DATABASE_URL host list, for a topology over `hosts`. @param {string} topology @param {string[]} hosts @param {number} i */
function hostsFor(topology, hosts, i) {
  if (topology === 'writers') return [...hosts.slice(i), ...hosts.slice(0, i)]
  return hosts // one server, or every instance on node 1 with the others after it
}

/** @param {string} url */
async function scrape(url) {
  const text = await (await fetch(url)).text()
  /** @param {RegExp} pattern */
  const sum = (pattern) => [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0)
  return {
    batches: sum(/^ledger_batch_size_count(?:\{[^}]*\})? (\S+)$/gm),
    writes: sum(/^ledger_batch_size_sum(?:\{[^}]*\})? (\S+)$/gm),
    certification: sum(/^ledger_batch_retries_total\{[^}]*cause="(?:deadlock|aborted)"[^}]*\} (\S+)$/gm),
  }
}

/** @param {autocannon.Options} options @returns {Promise<autocannon.Result>} */
const cannon = (options) => new Promise((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))))

/** @param {string} base @param {string} workload @param {number} seconds */
function load(base, workload, seconds) {
  const hot = JSON.stringify({ source_account_id: HOT_PAIR.source, destination_account_id: HOT_PAIR.destination, amount: '1' })
  return cannon({
    url: base,
    connections: perInstance,
    duration: seconds,
    requests: [{ method: 'POST', path: '/v1/transfers', headers: JSON_HEADERS, setupRequest: (request) => ({ ...request, body: workload === 'hot-pair' ? hot : transferBody() }) }],
  })
}

/** @param {string} topology @param {string[]} hosts @param {string} workload */
async function measure(topology, hosts, workload) {
  const database = `scaling_${topology.replace(/\W/g, '_')}_${workload.replace(/\W/g, '_')}_${Date.now().toString(36)}`
  const services = []
  for (let i = 0; i < 3; i++) {
    const url = `mysql://root@${hostsFor(topology, hosts, i).join(',')}/${database}`
    // The single server runs a Galera node's InnoDB settings (flush once a second), which the
    // service refuses outside a cluster unless told: here that is the point of the comparison.
    const env = { DATABASE_URL: url, REDIS_KEY_PREFIX: `${database}:`, LOG_LEVEL: 'warn', OTEL_TRACES_SAMPLER: 'always_off', DB_DURABILITY: 'relaxed' }
    services.push(await startService({ env }))
  }
  const [first, port] = /** @type {[string, string]} */ ((hosts[0] ?? '').split(':'))
  const db = await mysql.createConnection({ host: first, port: Number(port), user: 'root', database })
  try {
    // Accounts straight into the database (replicated to every node), one statement per 1,000.
    for (let start = 0; start < ACCOUNTS.count; start += 1000) {
      const rows = Array.from({ length: 1000 }, (_, i) => [ACCOUNTS.first + start + i, ACCOUNTS.balance])
      await db.query('INSERT INTO accounts (account_id, balance) VALUES ?', [rows])
    }
    await db.query('INSERT INTO accounts (account_id, balance) VALUES ?', [[[HOT_PAIR.source, HOT_PAIR.balance], [HOT_PAIR.destination, '0']]])
    await Promise.all(services.map((service) => load(service.url, workload, warmup)))
    const before = await Promise.all(services.map((service) => scrape(service.metricsUrl)))
    const results = await Promise.all(services.map((service) => load(service.url, workload, duration)))
    const after = await Promise.all(services.map((service) => scrape(service.metricsUrl)))
    const delta = (/** @type {'batches' | 'writes' | 'certification'} */ key) => after.reduce((sum, a, i) => sum + a[key] - (before[i]?.[key] ?? 0), 0)
    const ok = results.reduce((sum, result) => sum + (result['2xx'] ?? 0), 0)
    const statuses = new Map()
    for (const result of results) {
      for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
        if (!status.startsWith('2')) statuses.set(status, (statuses.get(status) ?? 0) + /** @type {{ count: number }} */ (stats).count)
      }
    }
    // Exact: MariaDB sums the DECIMALs; every account's money stays among them.
    const [[ledger]] = /** @type {any} */ (await db.query('SELECT CAST(SUM(balance) AS CHAR) AS total, COUNT(*) AS accounts, (SELECT COUNT(*) FROM transfers) AS transfers FROM accounts'))
    const expectedTotal = BigInt(ACCOUNTS.count) * BigInt(ACCOUNTS.balance) + BigInt(HOT_PAIR.balance)
    const conserved = String(ledger.total).replace(/\.0+$/, '') === String(expectedTotal)
    return {
      topology,
      workload,
      throughput: Math.round(ok / duration),
      p99: Math.max(...results.map((result) => result.latency.p99)),
      p50: Math.max(...results.map((result) => result.latency.p50)),
      batches: delta('batches'),
      meanBatch: delta('batches') > 0 ? Math.round((delta('writes') / delta('batches')) * 10) / 10 : 0,
      certificationShare: delta('batches') > 0 ? delta('certification') / delta('batches') : 0,
      non2xx: Object.fromEntries(statuses),
      peakRssMb: Math.max(...services.map((service) => service.peakRssMb() ?? 0)),
      conserved,
    }
  } finally {
    await db.query(`DROP DATABASE \`${database}\``).catch(() => {})
    await db.end()
    for (const service of services) await service.stop()
  }
}

const NAMES = { one: 'one MariaDB', writers: 'Galera, 3 writers', 'single-writer': 'Galera, 1 writer + 2 failover' }
const topologies = String(values.topologies).split(',')
const workloads = String(values.workloads).split(',')
const rows = []
const loadBefore = loadavg()[0]
const standalone = topologies.includes('one') ? await startStandalone() : undefined
const galera = topologies.some((name) => name !== 'one') ? await startGalera() : undefined
try {
  for (const topology of topologies) {
    const server = topology === 'one' ? standalone : galera
    for (const workload of workloads) {
      const row = await measure(topology, /** @type {{ hosts: string[] }} */ (server).hosts, workload)
      console.error(JSON.stringify(row))
      rows.push(row)
    }
  }
} finally {
  await standalone?.stop()
  await galera?.stop()
}
console.log(
  `\n3 instances, ${perInstance * 3} connections, ${duration} s measured after ${warmup} s of warm-up, ${new Date().toISOString()}; ` +
    `1-minute load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after\n`,
)
console.log('| topology | workload | transfers/s | p50 ms | p99 ms | batches | mean batch | certification retries per batch | non-2xx | peak RSS MB | money conserved |')
console.log('|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|')
for (const row of rows) {
  console.log(
    `| ${NAMES[/** @type {keyof typeof NAMES} */ (row.topology)] ?? row.topology} | ${row.workload} | ${row.throughput} | ${row.p50} | ${row.p99} | ${row.batches} | ${row.meanBatch} | ${(row.certificationShare * 100).toFixed(1)} % | ${JSON.stringify(row.non2xx)} | ${row.peakRssMb} | ${row.conserved ? 'yes' : 'NO'} |`,
  )
}
