// @ts-check
// `npm run load`: load scenarios with autocannon against a service this script starts
// (or one given with --url). Prints a live progress line, then a table; saves JSON and Markdown
// under bench/results/.
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import mysql from 'mysql2/promise'
import { markdown, save, toRow } from './report.js'
import { startService } from './service.js'

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    scenarios: { type: 'string', default: 'seed,uniform' },
  },
})
const duration = Number(args.duration)
const connections = Number(args.connections)
const JSON_HEADERS = { 'content-type': 'application/json' }

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

/** Runs autocannon with a progress line on stderr. @param {string} name @param {autocannon.Options} options */
function run(name, options) {
  return new Promise((resolve, reject) => {
    let done = 0
    const instance = autocannon(options, (error, result) => {
      clearInterval(timer)
      process.stderr.write('\n')
      if (error) reject(error)
      else resolve(result)
    })
    instance.on('response', () => done++)
    const started = Date.now()
    const timer = setInterval(() => {
      const seconds = (Date.now() - started) / 1000
      process.stderr.write(`\r${name}: ${done} requests in ${seconds.toFixed(0)} s (${Math.round(done / seconds)} req/s)   `)
    }, 1000)
  })
}

/** Creates accounts [first, first+count) with the given balance, 64 at a time. */
async function createAccounts(base, first, count, initial) {
  let next = first
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < first + count) {
        const id = next++
        const status = await post(base, '/v1/accounts', { account_id: id, initial_balance: initial })
        if (status !== 201 && status !== 409) throw new Error(`creating account ${id} answered ${status}`)
      }
    }),
  )
}

/** @type {Record<string, (base: string) => Promise<import('./report.js').Row>>} */
const SCENARIOS = {
  // 10,000 transfers of "1" from 1001 to 1002: every one fights for the same two row locks.
  async seed(base) {
    const [source, destination] = [1001, 1002]
    for (const [id, initial] of [[source, '50000'], [destination, '0']]) {
      const status = await post(base, '/v1/accounts', { account_id: id, initial_balance: initial })
      if (status !== 201) throw new Error(`seed needs fresh accounts ${source} and ${destination}; creating ${id} answered ${status}`)
    }
    const body = JSON.stringify({ source_account_id: source, destination_account_id: destination, amount: '1' })
    const result = await run('seed', {
      url: `${base}/v1/transfers`, connections, amount: 10_000, method: 'POST', headers: JSON_HEADERS, body,
    })
    const row = toRow('seed: 10,000 × "1", 1001 → 1002', result)
    const [after1, after2] = [await balance(base, source), await balance(base, destination)]
    const accepted = result.statusCodeStats?.['201']?.count ?? 0
    if (after1 !== '40000' || after2 !== '10000' || accepted !== 10_000) {
      throw new Error(`SEED CHECK FAILED: balances ${after1} / ${after2} with ${accepted} transfers accepted; expected 40000 / 10000 with 10000`)
    }
    row.note = 'balances checked: 40000 / 10000'
    return row
  },

  // Random transfers among 10,000 accounts, each request a distinct body.
  async uniform(base) {
    const first = 100_000
    const count = 10_000
    await createAccounts(base, first, count, '1000000')
    const result = await run('uniform', {
      url: `${base}/v1/transfers`,
      connections,
      duration,
      requests: [
        {
          method: 'POST',
          path: '/v1/transfers',
          headers: JSON_HEADERS,
          setupRequest: (request) => {
            const from = first + Math.floor(Math.random() * count)
            let to = first + Math.floor(Math.random() * count)
            if (to === from) to = first + ((to - first + 1) % count)
            const amount = `${1 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 100)}`
            return { ...request, body: JSON.stringify({ source_account_id: from, destination_account_id: to, amount }) }
          },
        },
      ],
    })
    return toRow(`uniform transfers, 10,000 accounts, ${connections} connections`, result)
  },
}

async function main() {
  const names = String(args.scenarios).split(',').filter(Boolean)
  for (const name of names) if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`)

  let service
  let base = args.url
  if (!base) {
    // A fresh database for every run, so the seed scenario starts from known balances.
    const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/transfers_bench'
    const name = new URL(databaseUrl).pathname.slice(1)
    const server = new URL(databaseUrl)
    server.pathname = ''
    const admin = await mysql.createConnection(server.toString())
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``)
    await admin.end()
    // Keys of earlier runs (same account ids, higher versions) must not be mistaken for this run's.
    service = await startService({ databaseUrl, env: { REDIS_KEY_PREFIX: `bench-${Date.now()}:` } })
    base = service.url
  }
  console.log(`load: ${base}, ${connections} connections, ${duration} s per timed scenario`)

  const rows = []
  try {
    for (const name of names) {
      const row = await SCENARIOS[name](base)
      row.peakRssMb = service?.peakRssMb()
      rows.push(row)
    }
  } finally {
    await service?.stop()
  }
  console.log(`\n${markdown(rows)}\n`)
  const files = save(rows, { url: base, connections, duration, node: process.version, at: new Date().toISOString() })
  console.log(`saved ${files.json} and ${files.md}`)
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
