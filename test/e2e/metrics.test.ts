import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { eventsEnv, eventually, inspector, SHARED_NATS_URL } from './support/nats.js'
import { type Sample, scrape, total } from './support/prometheus.js'
import { client, dropDatabase, freshDatabaseUrl } from './support/service.js'
import { freePort, type ServiceProcess, spawnService } from './support/service-process.js'

/** The known workload's requests, counted by what the metrics should say of them. */
describe('metrics of a running service, scraped from its Prometheus endpoint', () => {
  let service: ServiceProcess
  let metricsUrl: string
  let api: ReturnType<typeof client>
  let databaseUrl: string
  const transfer = (from: number, to: number, amount: string, key?: string) =>
    api.post('/v1/transfers', { source_account_id: from, destination_account_id: to, amount }, key ? { 'idempotency-key': key } : {})

  beforeAll(async () => {
    databaseUrl = freshDatabaseUrl('metrics')
    const port = await freePort()
    metricsUrl = `http://127.0.0.1:${port}/metrics`
    service = await spawnService({
      DATABASE_URL: databaseUrl,
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      REDIS_KEY_PREFIX: `metrics_${randomBytes(4).toString('hex')}:`,
      // Counts, not bounds, are this test's business: on a busy machine the 50 ms default would
      // fail cache writes whose answers were on their way, and count them as errors.
      REDIS_COMMAND_TIMEOUT_MS: '2000',
      // No collector here; the spans' fate does not matter to this test.
      OTEL_TRACES_SAMPLER: 'always_off',
    })
    api = client(service)
  })

  afterAll(async () => {
    service.child.kill('SIGKILL')
    const db = openDatabase(loadConfig({ DATABASE_URL: databaseUrl }).database)
    await dropDatabase(db, databaseUrl)
    await db.destroy()
  })

  it('logs where metrics are served', () => {
    expect(service.logLines().find((line) => line.msg === 'telemetry')).toMatchObject({ metrics: `prometheus ${metricsUrl.replace('/metrics', '')}/metrics` })
  })

  it('counts transfers by outcome, idempotency outcomes and the exact amount moved', async () => {
    expect((await api.createAccount(1001, '100')).status).toBe(201)
    expect((await api.createAccount(2002, '0')).status).toBe(201)
    expect((await transfer(1001, 2002, '1.5')).status).toBe(201)
    expect((await transfer(1001, 2002, '2.25')).status).toBe(201)
    expect((await transfer(1001, 2002, '1000')).status).toBe(422)
    expect((await transfer(1001, 9999, '1')).status).toBe(404)
    expect((await transfer(1001, 2002, '0.25', 'key-1')).status).toBe(201)
    expect((await transfer(1001, 2002, '0.25', 'key-1')).headers.get('idempotent-replayed')).toBe('true')
    expect((await transfer(1001, 2002, '0.5', 'key-1')).status).toBe(422)
    expect((await api.post('/v1/transfers', { source_account_id: 1001 })).status).toBe(400)
    // A reservation moves nothing until it is posted.
    expect((await api.post('/v1/transfers', { source_account_id: 1001, destination_account_id: 2002, amount: '5', pending: true })).status).toBe(201)

    const samples = await scrape(metricsUrl)
    const transfers = (labels: Record<string, string>) => total(samples, 'transfers_total', labels)
    expect(transfers({ outcome: 'applied' })).toBe(3)
    expect(transfers({ outcome: 'reserved' })).toBe(1)
    expect(transfers({ outcome: 'replayed' })).toBe(1)
    expect(transfers({ outcome: 'refused', code: 'INSUFFICIENT_FUNDS' })).toBe(1)
    expect(transfers({ outcome: 'refused', code: 'ACCOUNT_NOT_FOUND' })).toBe(1)
    expect(transfers({ outcome: 'refused', code: 'IDEMPOTENCY_KEY_REUSED' })).toBe(1)
    // The invalid body never reached the use case: it is an HTTP 400, not a transfer.
    expect(transfers({})).toBe(8)
    expect(total(samples, 'transfers_amount_total')).toBe(4)

    const keyed = (outcome: string) => total(samples, 'idempotency_requests_total', { operation: 'transfer-funds', outcome })
    expect([keyed('performed'), keyed('replayed'), keyed('reused'), keyed('in_use')]).toEqual([1, 1, 1, 0])

    const requests = (status: string) =>
      total(samples, 'http_server_request_duration_count', { http_route: '/v1/transfers', http_request_method: 'POST', http_response_status_code: status })
    expect([requests('201'), requests('404'), requests('422'), requests('400')]).toEqual([5, 1, 2, 1])
    expect(total(samples, 'http_server_request_duration_count', { http_route: '/v1/accounts', http_response_status_code: '201' })).toBe(2)
  })

  it('counts the write batches: every write the workload made, in batches of at least one', async () => {
    const samples = await scrape(metricsUrl)
    // Two openings and eight transfers reached the write path: the refusals too, and the replay and
    // the reuse, answered by the batch that found their key committed. The 400 never did.
    const writes = total(samples, 'ledger_batch_size_sum')
    const batches = total(samples, 'ledger_batch_size_count')
    expect(writes).toBe(10)
    expect(batches).toBeGreaterThanOrEqual(1)
    expect(batches).toBeLessThanOrEqual(10)
    expect(total(samples, 'ledger_batch_duration_count')).toBe(batches)
    expect(total(samples, 'ledger_batch_retries_total', { cause: 'deadlock' })).toBe(0)
  })

  it('counts cache hits and request durations for a known number of reads, in seconds-scaled buckets', async () => {
    // The service listens before Redis is connected; wait until reads are served from the cache.
    for (let i = 0; i < 100 && total(await scrape(metricsUrl), 'cache_lookups_total', { result: 'hit' }) === 0; i++) {
      await api.get('/v1/accounts/2002')
      await sleep(50)
    }
    const before = await scrape(metricsUrl)
    for (let i = 0; i < 7; i++) expect((await api.get('/v1/accounts/2002')).status).toBe(200)
    const after = await scrape(metricsUrl)
    const delta = (name: string, labels: Record<string, string>) => total(after, name, labels) - total(before, name, labels)
    expect(delta('cache_lookups_total', { result: 'hit' })).toBe(7)
    expect(delta('cache_lookups_total', { result: 'miss' })).toBe(0)
    const reads = { http_route: '/v1/accounts/:account_id', http_response_status_code: '200' }
    expect(delta('http_server_request_duration_count', reads)).toBe(7)
    const bounds = after.filter((s) => s.name === 'http_server_request_duration_bucket' && s.labels.http_route === reads.http_route).map((s) => s.labels.le)
    expect(new Set(bounds)).toEqual(new Set(['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.075', '0.1', '0.25', '0.5', '0.75', '1', '2.5', '5', '7.5', '10', '+Inf']))
    expect(total(after, 'cache_redis_reachable')).toBe(1)
    expect(total(after, 'cache_unsettled')).toBe(0)
    // Every transfer refreshed both accounts: all written, none refused as older.
    expect(total(after, 'cache_writes_total', { result: 'error' })).toBe(0)
  })

  it('reports the pool and the runtime', async () => {
    const samples: Sample[] = await scrape(metricsUrl)
    const pool = { db_client_connection_pool_name: new URL(databaseUrl).pathname.slice(1) }
    expect(total(samples, 'db_client_connection_max', pool)).toBe(10)
    expect(total(samples, 'db_client_connection_count', { ...pool, db_client_connection_state: 'used' })).toBe(0)
    expect(total(samples, 'db_client_connection_count', { ...pool, db_client_connection_state: 'idle' })).toBeGreaterThan(0)
    expect(total(samples, 'db_client_connection_pending_requests', pool)).toBe(0)
    expect(total(samples, 'db_client_connection_wait_time_count', pool)).toBeGreaterThan(0)
    expect(total(samples, 'process_memory_usage')).toBeGreaterThan(0)
    expect(total(samples, 'v8js_memory_heap_used')).toBeGreaterThan(0)
    expect(samples.some((sample) => sample.name === 'nodejs_eventloop_delay_p99')).toBe(true)
  })
})

/** The metric names a PromQL expression reads: identifiers that are neither functions, keywords nor labels. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\b(?:by|without)\s*\([^)]*\)/g, '') // grouping labels
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/"[^"]*"/g, '')
  return [...bare.matchAll(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g)].map((match) => match[0])
}

describe('the Grafana dashboard', () => {
  it('queries only metrics the service exports (a small pool, so a known number of 503s happen too)', async () => {
    const databaseUrl = freshDatabaseUrl('dashboard')
    const port = await freePort()
    // Events on, into a stream of the test's own, so the relay's metrics are exported too.
    const events = eventsEnv('dashboard')
    // One connection, one waiter: concurrent reads beyond that are refused at once (QUEUE_FULL).
    const service = await spawnService({
      DATABASE_URL: databaseUrl,
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      REDIS_KEY_PREFIX: `dashboard_${randomBytes(4).toString('hex')}:`,
      OTEL_TRACES_SAMPLER: 'always_off',
      DB_POOL_SIZE: '1',
      DB_QUEUE_LIMIT: '1',
      ...events,
    })
    const nats = await inspector(SHARED_NATS_URL)
    try {
      const api = client(service)
      expect((await api.createAccount(1, '10')).status).toBe(201)
      expect((await api.createAccount(2, '0')).status).toBe(201)
      expect((await api.post('/v1/transfers', { source_account_id: 1, destination_account_id: 2, amount: '1' }, { 'idempotency-key': 'k' })).status).toBe(201)
      expect((await api.get('/v1/accounts/1')).status).toBe(200)
      // History pages always read MariaDB: 40 at once meet a pool of one with room for one waiter.
      const statuses = await Promise.all(Array.from({ length: 40 }, () => api.get('/v1/accounts/1/transfers').then((reply) => reply.status)))
      const refused = statuses.filter((status) => status === 503).length
      expect(refused).toBeGreaterThan(0)
      expect(statuses.filter((status) => status !== 503 && status !== 200)).toEqual([])
      await eventually('the events published', async () => (await nats.count(events.NATS_STREAM!)) === 3)

      const samples = await scrape(`http://127.0.0.1:${port}/metrics`)
      expect(total(samples, 'responses_unavailable_total', { reason: 'QUEUE_FULL' })).toBe(refused)
      const exported = new Set(samples.map((sample) => sample.name))
      const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana/dashboards/internal-transfers.json', import.meta.url), 'utf8')) as {
        panels: { title: string; targets?: { expr: string }[] }[]
      }
      const queried = dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNames(target.expr).map((name) => `${panel.title}: ${name}`)))
      expect(queried.length).toBeGreaterThan(20)
      expect(queried.filter((entry) => !exported.has(entry.split(': ')[1]!))).toEqual([])
    } finally {
      service.child.kill('SIGKILL')
      await nats.remove(events.NATS_STREAM!)
      await nats.close()
      const db = openDatabase(loadConfig({ DATABASE_URL: databaseUrl }).database)
      await dropDatabase(db, databaseUrl)
      await db.destroy()
    }
  })
})
