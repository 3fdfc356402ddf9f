import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/adapters/mariadb/database.js'
import { loadConfig } from '../../src/config.js'
import { eventsEnv, eventually, inspector, SHARED_NATS_URL } from './support/nats.js'
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './support/otlp-receiver.js'
import { client, dropDatabase, freshDatabaseUrl } from './support/service.js'
import { type ServiceProcess, spawnService } from './support/service-process.js'

const SERVER = 2

/** No cache, and spans leave within 50 ms. */
const QUIET = { REDIS_URL: '', OTEL_BSP_SCHEDULE_DELAY: '50' }

/** Runs the built service against a fresh database; stops it and drops the database afterwards. */
async function startService(label: string, env: Record<string, string>): Promise<ServiceProcess> {
  const databaseUrl = freshDatabaseUrl(label)
  const service = await spawnService({ DATABASE_URL: databaseUrl, ...env })
  cleanups.push(async () => {
    await service.stop()
    const db = openDatabase(loadConfig({ DATABASE_URL: databaseUrl }).database)
    await dropDatabase(db, databaseUrl)
    await db.destroy()
  })
  return service
}

async function stop(service: ServiceProcess): Promise<number | null> {
  service.child.kill('SIGTERM')
  return service.exited
}

const cleanups: (() => Promise<void>)[] = []
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}

function traceparent(): { header: string; traceId: string; parentId: string } {
  const traceId = randomBytes(16).toString('hex')
  const parentId = randomBytes(8).toString('hex')
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId }
}

function one(spans: ReceivedSpan[], matches: (span: ReceivedSpan) => boolean): ReceivedSpan {
  const found = spans.filter(matches)
  expect(found, `spans: ${spans.map((span) => span.name).join(', ')}`).toHaveLength(1)
  return found[0]!
}

/** Waits until the service has written these keys to the machine's Redis (they go when it stops). */
async function cachedBy(prefix: string, keys: string[]): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', { keyPrefix: prefix })
  try {
    const deadline = Date.now() + 20_000
    while ((await redis.exists(...keys)) < keys.length) {
      if (Date.now() > deadline) throw new Error(`the service did not cache ${keys.join(', ')}`)
      await sleep(50)
    }
  } finally {
    redis.disconnect()
  }
}

const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((span) => span.parentSpanId === parent.spanId)
const isServerSpan = (span: ReceivedSpan) => span.kind === SERVER

describe('traces of a running service', () => {
  let receiver: OtlpReceiver
  let service: ServiceProcess
  let api: ReturnType<typeof client>

  /** Every span of one trace, once its HTTP server span (the last to end) has arrived. */
  const traceOf = async (traceId: string) =>
    (await receiver.waitFor((spans) => spans.some((span) => span.traceId === traceId && isServerSpan(span)))).filter(
      (span) => span.traceId === traceId,
    )

  /** Sends a request carrying a fresh traceparent; returns the answer and the trace it produced. */
  const tracedCall = async (method: string, path: string, body?: unknown) => {
    const caller = traceparent()
    const reply = await api.send(method, path, body, { traceparent: caller.header })
    return { caller, reply, trace: await traceOf(caller.traceId) }
  }

  beforeAll(async () => {
    receiver = await startOtlpReceiver()
    const keyPrefix = `tracing_${randomBytes(4).toString('hex')}:`
    service = await startService('tracing', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      REDIS_KEY_PREFIX: keyPrefix,
      // Access-log lines are written at debug.
      LOG_LEVEL: 'debug',
    })
    api = client(service)
    expect((await api.createAccount(1001, '500')).status).toBe(201)
    expect((await api.createAccount(2002, '0')).status).toBe(201)
    // The service listens before its Redis connection is up; the traces below need the cache working.
    await cachedBy(keyPrefix, ['account:1001', 'account:2002'])
  })

  afterAll(async () => {
    await cleanUp()
    await receiver.close()
  })

  it('a transfer is one trace continuing the caller’s traceparent: HTTP → transfer-funds → MariaDB', async () => {
    const { caller, reply, trace } = await tracedCall('POST', '/v1/transfers', {
      source_account_id: 1001,
      destination_account_id: 2002,
      amount: '150',
    })
    expect(reply.status).toBe(201)
    expect(new Set(trace.map((span) => span.resource['service.name']))).toEqual(new Set(['internal-transfers']))

    const http = one(trace, isServerSpan)
    expect(http).toMatchObject({
      name: 'POST /v1/transfers',
      parentSpanId: caller.parentId,
      attributes: { 'http.request.method': 'POST', 'http.route': '/v1/transfers', 'http.response.status_code': 201 },
    })

    const useCase = one(trace, (span) => span.name === 'transfer-funds')
    expect(useCase.parentSpanId).toBe(http.spanId)
    expect(useCase.status.code).toBe(0)
    expect(useCase.attributes).toMatchObject({
      'app.source_account.id': 1001,
      'app.destination_account.id': 2002,
      'app.transfer.id': reply.body.transfer_id,
      'app.outcome': 'ok',
    })

    // Travelling alone, its batch is its own: the statements are the use case's children, in two
    // round trips (lock both rows, those free: SKIP LOCKED; write, check, COMMIT, verify), then the cache refresh.
    // The first transaction on a connection also creates the session's marker table (CREATE).
    const calls = childrenOf(trace, useCase).map((span) => [span.attributes['db.system.name'], String(span.attributes['db.operation.name'] ?? span.name).replace(/^CREATE; /, '')])
    expect(calls).toEqual([
      ['mariadb', 'SET; REPLACE; SELECT; SELECT'],
      ['mariadb', 'INSERT; INSERT; IF; COMMIT; SELECT; SET'],
      ['redis', 'EVALSHA'],
    ])
    const [lock, write] = trace.filter((span) => span.attributes['db.system.name'] === 'mariadb')
    expect(lock?.attributes).toMatchObject({ 'db.query.text': expect.stringMatching(/FROM accounts FORCE INDEX \(PRIMARY\) WHERE account_id IN \(\?, \?\) ORDER BY account_id FOR UPDATE SKIP LOCKED$/), 'db.namespace': expect.any(String) })
    expect(write?.attributes['db.query.text']).toMatch(/^INSERT INTO accounts \(account_id, balance, pending_debits, pending_credits, version\) VALUES \(\?, \?, \?, \?, \?\), \(\?, \?, \?, \?, \?\) ON DUPLICATE KEY UPDATE/)
    expect(trace.some((span) => span.name === 'ledger-batch')).toBe(false)
  })

  it('a batch of concurrent transfers has a span of its own, parented to one request and linked from the others', async () => {
    const batched = await startService('tracing_batch', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_TRACES_SAMPLER: 'always_on',
      // One batch in flight: the transfers sent while it runs travel together in the next one.
      BATCH_MAX_IN_FLIGHT: '1',
      REDIS_URL: '',
    })
    const batchedApi = client(batched)
    const ids = Array.from({ length: 12 }, (_, i) => 100 + i)
    for (const id of ids) expect((await batchedApi.createAccount(id, '10')).status).toBe(201)
    const callers = ids.map(() => traceparent())
    const replies = await Promise.all(
      ids.map((id, i) =>
        batchedApi.send('POST', '/v1/transfers', { source_account_id: id, destination_account_id: ids[(i + 1) % ids.length], amount: '1' }, { traceparent: callers[i]!.header }),
      ),
    )
    expect(replies.map((reply) => reply.status)).toEqual(ids.map(() => 201))
    const callerTraces = new Set(callers.map((caller) => caller.traceId))
    const spans = await receiver.waitFor(
      (received) => received.filter((span) => callerTraces.has(span.traceId) && isServerSpan(span)).length === ids.length,
    )
    const mine = spans.filter((span) => callerTraces.has(span.traceId))
    const batches = mine.filter((span) => span.name === 'ledger-batch')
    expect(batches.length).toBeGreaterThan(0)
    for (const batch of batches) {
      const size = batch.attributes['app.batch.size'] as number
      expect(size).toBeGreaterThan(1)
      // Parented to one request's use-case span, in that request's trace…
      const parent = one(mine, (span) => span.spanId === batch.parentSpanId)
      expect(parent).toMatchObject({ name: 'transfer-funds', traceId: batch.traceId })
      // …and linked both ways with each of the others it carried.
      expect(batch.links).toHaveLength(size - 1)
      for (const link of batch.links) {
        const other = one(mine, (span) => span.spanId === link.spanId)
        expect(other.name).toBe('transfer-funds')
        expect(other.links).toContainEqual({ traceId: batch.traceId, spanId: batch.spanId })
      }
      // Its statements are its children.
      expect(childrenOf(mine, batch).map((span) => span.name.replace(/^CREATE; /, ''))).toEqual(['SET; REPLACE; SELECT; SELECT', 'INSERT; INSERT; IF; COMMIT; SELECT; SET'])
    }
    // Every request's use-case span leads to the transaction that committed it: its own statements or a batch.
    for (const useCase of mine.filter((span) => span.name === 'transfer-funds')) {
      const ownStatements = childrenOf(mine, useCase).some((span) => span.attributes['db.system.name'] === 'mariadb')
      const inBatch = batches.some((batch) => batch.parentSpanId === useCase.spanId || useCase.links.some((link) => link.spanId === batch.spanId))
      expect(ownStatements || inBatch, `transfer-funds ${useCase.spanId}`).toBe(true)
    }
    expect(await stop(batched)).toBe(0)
  })

  it.each([
    ['GET', '/v1/accounts/2002', undefined, 200],
    // Refused, so the balances the later tests expect stay as they are.
    ['POST', '/v1/transfers', { source_account_id: 2002, destination_account_id: 1001, amount: '1000000' }, 422],
  ])('log lines written during a request carry the trace and span id of its HTTP span (%s %s)', async (method, url, body, status) => {
    const { caller, reply, trace } = await tracedCall(method, url, body)
    expect(reply.status).toBe(status)
    const http = one(trace, isServerSpan)

    const lines = service.logLines()
    const { reqId } = lines.find((line) => line.trace_id === caller.traceId && line.msg === 'request completed') ?? {}
    const requestLines = lines.filter((line) => reqId !== undefined && line.reqId === reqId)
    expect(requestLines.map((line) => line.msg)).toEqual(['request completed'])
    expect(requestLines[0]).toMatchObject({ method, url, statusCode: status })
    for (const line of requestLines) expect(line).toMatchObject({ trace_id: caller.traceId, span_id: http.spanId })
  })

  it('an event’s publish span links to the transaction that wrote it, and its message carries the publish span’s context', async () => {
    const events = eventsEnv('tracing')
    const publishing = await startService('tracing_events', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_TRACES_SAMPLER: 'always_on',
      REDIS_URL: '',
      ...events,
    })
    const nats = await inspector(SHARED_NATS_URL)
    cleanups.push(async () => {
      await nats.remove(events.NATS_STREAM!)
      await nats.close()
    })
    const publishingApi = client(publishing)
    expect((await publishingApi.createAccount(1, '10')).status).toBe(201)
    expect((await publishingApi.createAccount(2, '0')).status).toBe(201)
    const caller = traceparent()
    const reply = await publishingApi.send('POST', '/v1/transfers', { source_account_id: 1, destination_account_id: 2, amount: '1' }, { traceparent: caller.header })
    expect(reply.status).toBe(201)

    const spans = await receiver.waitFor((received) => received.some((span) => span.name === 'events publish' && span.links.some((link) => link.traceId === caller.traceId)))
    // Travelling alone, the transfer's transaction ran in its use-case span: that is what the row kept.
    const useCase = one(spans, (span) => span.traceId === caller.traceId && span.name === 'transfer-funds')
    const publish = one(spans, (span) => span.name === 'events publish' && span.links.some((link) => link.traceId === caller.traceId))
    expect(publish.links).toContainEqual({ traceId: caller.traceId, spanId: useCase.spanId })
    expect(publish.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': events.NATS_STREAM })

    await eventually('the transfer’s event', async () => (await nats.count(events.NATS_STREAM!)) === 3)
    const [, , posted] = await nats.events(events.NATS_STREAM!)
    expect(posted?.body.transfer_id).toBe(reply.body.transfer_id)
    expect(posted?.headers.traceparent).toBe(`00-${publish.traceId}-${publish.spanId}-01`)
    expect(await stop(publishing)).toBe(0)
  })

  it('a cached read is HTTP → get-account → Redis, with no MariaDB statement', async () => {
    const { reply, trace } = await tracedCall('GET', '/v1/accounts/1001')
    expect(reply).toMatchObject({ status: 200, body: { balance: '350' } })
    const http = one(trace, isServerSpan)
    expect(http).toMatchObject({
      name: 'GET /v1/accounts/:account_id',
      attributes: { 'http.route': '/v1/accounts/:account_id', 'http.response.status_code': 200 },
    })
    const useCase = one(trace, (span) => span.name === 'get-account')
    expect(useCase.attributes).toMatchObject({ 'app.account.id': 1001, 'app.outcome': 'ok' })
    expect(useCase.parentSpanId).toBe(http.spanId)

    const commands = childrenOf(trace, useCase)
    expect(commands.map((span) => [span.attributes['db.system.name'], span.attributes['db.operation.name']])).toEqual([['redis', 'GET']])
    expect(trace.filter((span) => span.attributes['db.system.name'] === 'mariadb')).toEqual([])
  })

  it('a refused transfer records its outcome without marking the HTTP or use-case span as failed', async () => {
    const { reply, trace } = await tracedCall('POST', '/v1/transfers', {
      source_account_id: 2002,
      destination_account_id: 1001,
      amount: '1000000',
    })
    expect(reply.status).toBe(422)
    expect(one(trace, isServerSpan)).toMatchObject({ status: { code: 0 }, attributes: { 'http.response.status_code': 422 } })
    // No span of the trace is marked as failed: a refusal is an answer.
    expect(trace.filter((span) => span.status.code === 2)).toEqual([])
    expect(one(trace, (span) => span.name === 'transfer-funds')).toMatchObject({
      status: { code: 0 },
      attributes: { 'app.outcome': 'INSUFFICIENT_FUNDS' },
    })
  })

  it('a body that arrives after its headers is still handled inside the request’s trace', async () => {
    const caller = traceparent()
    const body = JSON.stringify({ source_account_id: 2002, destination_account_id: 1001, amount: '1000000' })
    const socket = connect(Number(new URL(service.baseUrl).port), '127.0.0.1')
    await once(socket, 'connect')
    socket.write(
      'POST /v1/transfers HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\nconnection: close\r\n' +
        `traceparent: ${caller.header}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`,
    )
    // The body in a later packet: it is read on socket events, outside the context of the headers.
    // (`connection: close` makes the server end the socket once it has answered.)
    await sleep(100)
    socket.write(body)
    let response = ''
    for await (const chunk of socket) response += String(chunk)
    expect(response).toMatch(/^HTTP\/1\.1 422 /)

    const trace = await traceOf(caller.traceId)
    const useCase = one(trace, (span) => span.name === 'transfer-funds')
    expect(useCase.parentSpanId).toBe(one(trace, isServerSpan).spanId)
  })

  it('records a request that brings no traceparent: the default sampler is parentbased_always_on', async () => {
    const path = `/v1/accounts/${900_000 + Math.floor(Math.random() * 100_000)}`
    expect((await api.get(path)).status).toBe(404)
    const spans = await receiver.waitFor((all) => all.some((span) => isServerSpan(span) && span.attributes['url.path'] === path))
    const http = one(spans, (span) => isServerSpan(span) && span.attributes['url.path'] === path)
    expect(http.parentSpanId).toBeUndefined()
    expect(spans.filter((span) => span.traceId === http.traceId).map((span) => span.name)).toContain('get-account')
    expect(service.logLines().find((line) => line.msg === 'telemetry')).toMatchObject({
      traces: `otlp http/json ${receiver.url}/v1/traces`,
      sampler: 'parentbased_always_on (default)',
    })
  })

  it('flushes the spans still buffered on SIGTERM', async () => {
    // A long batch delay: without the flush on shutdown, this trace would never leave the process.
    const slow = await startService('tracing_flush', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '600000' })
    const caller = traceparent()
    expect((await client(slow).send('GET', '/v1/accounts/1', undefined, { traceparent: caller.header })).status).toBe(404)
    expect(await stop(slow)).toBe(0)
    expect(receiver.spans().filter((span) => span.traceId === caller.traceId).map((span) => span.name)).toContain('get-account')
  })
})

describe('tracing settings, switched off, without a collector', () => {
  afterEach(cleanUp)

  it('OTEL_SDK_DISABLED=true serves requests and exports nothing, not even on shutdown', async () => {
    const receiver = await startOtlpReceiver()
    cleanups.push(() => receiver.close())
    const service = await startService('tracing_off', {
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    })
    const api = client(service)
    expect((await api.createAccount(1001, '5')).status).toBe(201)
    expect((await api.get('/v1/accounts/1001')).status).toBe(200)
    // Were the SDK running, the shutdown flush would have delivered these spans before the exit.
    expect(await stop(service)).toBe(0)
    expect(receiver.requests()).toBe(0)
    expect(service.logLines().filter((line) => 'trace_id' in line)).toEqual([])
  })

  it('a collector that is down fails no request; the service warns and still exits cleanly', async () => {
    const closed = createServer().listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const { port } = closed.address() as { port: number }
    closed.close()
    const service = await startService('tracing_down', {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    })
    const api = client(service)
    expect((await api.createAccount(1001, '5')).status).toBe(201)
    expect((await api.createAccount(2002, '0')).status).toBe(201)
    expect((await api.transfer(1001, 2002, '1')).status).toBe(201)
    expect(await api.balance(2002)).toBe('1')

    const deadline = Date.now() + 20_000
    const warnings = () => service.logLines().filter((line) => line.msg === 'trace export failed; spans dropped')
    while (warnings().length === 0 && Date.now() < deadline) await sleep(50)
    expect(warnings()[0]).toMatchObject({ level: 40, reason: expect.stringContaining('ECONNREFUSED') })
    // The export was started from inside some request, but the failure is nobody's request.
    expect(warnings()[0]).not.toHaveProperty('trace_id')
    expect(warnings()[0]).not.toHaveProperty('span_id')

    expect(await stop(service)).toBe(0)
    expect(service.output()).toContain('shutdown complete')
  })

  it('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the whole trace arrives, decoded from protobuf', async () => {
    const receiver = await startOtlpReceiver({ path: '/collector/traces' })
    cleanups.push(() => receiver.close())
    const service = await startService('tracing_proto', {
      ...QUIET,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      // The signal's own endpoint is used as given, no /v1/traces appended; the general one is ignored.
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/collector/traces`,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    })
    const api = client(service)
    expect((await api.createAccount(1001, '10')).status).toBe(201)
    expect((await api.createAccount(2002, '0')).status).toBe(201)
    const caller = traceparent()
    const body = { source_account_id: 1001, destination_account_id: 2002, amount: '2.5' }
    const reply = await api.send('POST', '/v1/transfers', body, { traceparent: caller.header })
    expect(reply.status).toBe(201)

    const trace = (await receiver.waitFor((spans) => spans.some((span) => span.traceId === caller.traceId && isServerSpan(span)))).filter(
      (span) => span.traceId === caller.traceId,
    )
    const named = (name: string) => trace.find((span) => span.name === name) as ReceivedSpan
    expect(named('POST /v1/transfers')).toMatchObject({
      kind: 2,
      parentSpanId: caller.parentId,
      attributes: { 'http.route': '/v1/transfers', 'http.response.status_code': 201 },
      resource: { 'service.name': 'internal-transfers' },
    })
    expect(named('transfer-funds')).toMatchObject({
      parentSpanId: named('POST /v1/transfers').spanId,
      attributes: { 'app.transfer.id': reply.body.transfer_id, 'app.outcome': 'ok', 'app.source_account.id': 1001 },
    })
    // One span per round trip of its batch, each a child of the use case.
    const statements = trace.filter((span) => span.attributes['db.system.name'] === 'mariadb')
    expect(statements.map((span) => span.name.replace(/^CREATE; /, ''))).toEqual(['SET; REPLACE; SELECT; SELECT', 'INSERT; INSERT; IF; COMMIT; SELECT; SET'])
    for (const statement of statements) expect(statement).toMatchObject({ kind: 3, parentSpanId: named('transfer-funds').spanId })

    expect(new Set(receiver.contentTypes())).toEqual(new Set(['application/x-protobuf']))
    expect(service.logLines().find((line) => line.msg === 'telemetry')).toMatchObject({
      traces: `otlp http/protobuf ${receiver.url}/collector/traces`,
    })
  })

  it('parentbased_traceidratio at 0 records none of its own traces but follows a caller who sampled', async () => {
    const receiver = await startOtlpReceiver()
    cleanups.push(() => receiver.close())
    const service = await startService('tracing_ratio', {
      ...QUIET,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    })
    expect(service.logLines().find((line) => line.msg === 'telemetry')).toMatchObject({ sampler: 'parentbased_traceidratio 0' })
    const api = client(service)
    for (let i = 0; i < 20; i++) expect((await api.get('/v1/accounts/7')).status).toBe(404)
    const caller = traceparent()
    expect((await api.send('GET', '/v1/accounts/8', undefined, { traceparent: caller.header })).status).toBe(404)

    const spans = await receiver.waitFor((all) => all.some(isServerSpan))
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([caller.traceId]))
  })
})
