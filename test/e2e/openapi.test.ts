import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closedPort } from './support/closed-port.js'
import { parseAccountRanges } from '../../src/domain/access.js'
import { client, createKey, freshDatabaseUrl, type Reply, type RunningService, startService, UNKNOWN_KEY } from './support/service.js'

// What the service answers, compared with what its own OpenAPI document (/docs/json) declares for
// that path, method and status: the media type, the body's shape (as a closed schema: no field the
// document does not name) and the headers. Every declared response is exercised, but for the few
// listed in NOT_EXERCISED.

interface Operation {
  operationId?: string
  parameters?: { in: string; name: string }[]
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: object }> }>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
}

/** Responses a black-box test cannot bring about here; other e2e files cover their behaviour. */
const NOT_EXERCISED: Record<string, string> = {
  'POST /v1/transfers 409': 'IDEMPOTENCY_KEY_IN_USE needs a key held past the lock wait (idempotency.test.ts)',
  'POST /v1/transfers/batch 409': 'IDEMPOTENCY_KEY_IN_USE, as for POST /v1/transfers',
}
/** A failure of the service itself (500) is declared on every route and reachable from none. */
const isInternalError = (key: string) => key.endsWith(' 500')

let service: RunningService
let unreachable: RunningService
let limited: RunningService
let api: ReturnType<typeof client>
/** By the prefix of a path in `declared`: `down:/v1/…` asks the service whose database is unreachable, and so on. */
const via: Record<string, ReturnType<typeof client>> = {}
let doc: Document
const ajv = addFormats.default(new Ajv2020({ strict: true, allErrors: true }))
const exercised = new Set<string>()

/** `schema` with every object closed, so a field the document does not declare fails. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed)
  if (schema === null || typeof schema !== 'object') return schema
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closed(value)]))
  return copy.type === 'object' && !('additionalProperties' in copy) ? { ...copy, additionalProperties: false } : copy
}

/** The document's path template that `path` matches, e.g. /v1/accounts/{account_id}. */
function templateOf(path: string): string | undefined {
  const bare = path.split('?')[0] as string
  // A literal path (/v1/transfers/batch) before a template it also matches (/v1/transfers/{transfer_id}), as the router does.
  if (bare in doc.paths) return bare
  return Object.keys(doc.paths).find((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare))
}

/** Sends the request and checks the answer against the document; returns it for more checks. */
async function declared(method: string, path: string, status: number, body?: unknown, headers?: Record<string, string>) {
  const [, prefix, bare = path] = /^(?:(\w+):)?(\/.*)$/.exec(path) ?? []
  const reply = await (prefix ? (via[prefix] as ReturnType<typeof client>) : api).send(method, bare, body, headers)
  expect(reply.status, reply.text).toBe(status)
  const template = templateOf(bare)
  expect(template, `${path} is not in the document`).toBeDefined()
  const operation = doc.paths[template as string]?.[method.toLowerCase()]
  expect(operation, `${method} ${template} is not in the document`).toBeDefined()
  const key = `${method} ${template} ${status}`
  const response = operation?.responses[String(status)]
  expect(response, `${key} is not declared`).toBeDefined()
  exercised.add(key)

  const mediaType = reply.contentType?.split(';')[0] ?? ''
  expect(Object.keys(response?.content ?? {}), `${key}: content type`).toContain(mediaType)
  const validate = ajv.compile(closed(response?.content?.[mediaType]?.schema) as object)
  expect(validate(reply.body) ? [] : validate.errors, `${key}: ${reply.text}`).toEqual([])
  for (const header of ['Idempotent-Replayed', 'WWW-Authenticate', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) {
    if (reply.headers.has(header)) expect(Object.keys(response?.headers ?? {}), `${key}: headers`).toContain(header)
  }
  return reply
}

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('openapi') })
  unreachable = await startService({
    databaseUrl: `mysql://root@127.0.0.1:${await closedPort()}/unreachable`,
    env: { DB_CONNECT_TIMEOUT_MS: '500', DB_ACQUIRE_TIMEOUT_MS: '1000' },
    migrate: false,
  })
  // One request an hour per key, the first spent at once: every route then answers 429.
  limited = await startService({ databaseUrl: freshDatabaseUrl('openapi_limited'), env: { RATE_LIMIT_PER_KEY: '1/h', RATE_LIMIT_PER_KEY_BURST: '1' } })
  api = client(service)
  via.down = client(unreachable.baseUrl, UNKNOWN_KEY)
  via.limited = client(limited)
  await via.limited.get('/v1/accounts/1')
  via.anonymous = client(service.baseUrl)
  via.wrong = client(service.baseUrl, UNKNOWN_KEY)
  via.reader = client(service.baseUrl, (await createKey(service.databaseUrl, { scopes: new Set(['accounts:read', 'transfers:read']), accounts: undefined })).text)
  via.writer = client(service.baseUrl, (await createKey(service.databaseUrl, { scopes: new Set(['accounts:write', 'transfers:write']), accounts: undefined })).text)
  const all = new Set(['accounts:read', 'accounts:write', 'transfers:read', 'transfers:write'] as const)
  via.bounded = client(service.baseUrl, (await createKey(service.databaseUrl, { scopes: all, accounts: parseAccountRanges('1001') })).text)
  doc = (await api.get('/docs/json')).body
})
afterAll(async () => {
  await service?.stop()
  await unreachable?.stop()
  await limited?.stop()
})

const json = { 'content-type': 'application/json' }
const account = (id: unknown, balance: unknown = '10') => ({ account_id: id, initial_balance: balance })
const transfer = (from: unknown, to: unknown, amount: unknown) => ({ source_account_id: from, destination_account_id: to, amount })

describe('the OpenAPI document', () => {
  it('names every operation and describes every response', () => {
    for (const [template, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.operationId, `${method} ${template}`).toMatch(/^[a-z][A-Za-z]+$/)
        for (const [status, response] of Object.entries(operation.responses)) {
          expect(response.description, `${method} ${template} ${status}`).not.toBe('Default Response')
          if (Number(status) >= 400 && Number(status) !== 503) expect(Object.keys(response.content ?? {})).toEqual(['application/problem+json'])
        }
      }
    }
  })

  it('names the scope of every operation but the health checks, and the bearer scheme', () => {
    expect((doc as any).components.securitySchemes.apiKey).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }))
    const scopes = Object.fromEntries(
      Object.entries(doc.paths).flatMap(([template, operations]) =>
        Object.entries(operations).map(([method, operation]) => [`${method.toUpperCase()} ${template}`, (operation as any).security]),
      ),
    )
    expect(scopes).toEqual({
      'POST /v1/accounts': [{ apiKey: ['accounts:write'] }],
      'GET /v1/accounts/{account_id}': [{ apiKey: ['accounts:read'] }],
      'GET /v1/accounts/{account_id}/transfers': [{ apiKey: ['transfers:read'] }],
      'POST /v1/transfers': [{ apiKey: ['transfers:write'] }],
      'GET /v1/transfers/{transfer_id}': [{ apiKey: ['transfers:read'] }],
      'POST /v1/transfers/batch': [{ apiKey: ['transfers:write'] }],
      'POST /v1/transfers/{transfer_id}/post': [{ apiKey: ['transfers:write'] }],
      'POST /v1/transfers/{transfer_id}/void': [{ apiKey: ['transfers:write'] }],
      'GET /livez': undefined,
      'GET /readyz': undefined,
    })
  })

  it('declares the Idempotency-Key header on every POST', () => {
    for (const template of ['/v1/accounts', '/v1/transfers', '/v1/transfers/batch', '/v1/transfers/{transfer_id}/post', '/v1/transfers/{transfer_id}/void']) {
      expect(doc.paths[template]?.post?.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'Idempotency-Key' }))
    }
  })
})

describe('what the service answers is what the document declares', () => {
  it('POST /v1/accounts', async () => {
    await declared('POST', '/v1/accounts', 201, account(1001, '500'))
    await declared('POST', '/v1/accounts', 201, account(2002, '0'))
    await declared('POST', '/v1/accounts', 201, account(3003), { 'Idempotency-Key': 'open-3003' })
    const replay = await declared('POST', '/v1/accounts', 201, account(3003), { 'Idempotency-Key': 'open-3003' })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    await declared('POST', '/v1/accounts', 409, account(1001))
    await declared('POST', '/v1/accounts', 409, account(1001), { 'Idempotency-Key': 'open-1001' })
    const refusal = await declared('POST', '/v1/accounts', 409, account(1001), { 'Idempotency-Key': 'open-1001' })
    expect(refusal.headers.get('idempotent-replayed')).toBe('true')
    await declared('POST', '/v1/accounts', 422, account(3003, '11'), { 'Idempotency-Key': 'open-3003' })
    await declared('POST', '/v1/accounts', 400, account('1001'))
    await declared('POST', '/v1/accounts', 400, account(4004), { 'Idempotency-Key': 'two words' })
    await declared('POST', '/v1/accounts', 400, '{"account_id": 1,', json)
    await declared('POST', '/v1/accounts', 413, JSON.stringify({ ...account(4004), pad: 'x'.repeat(65 * 1024) }))
    await declared('POST', '/v1/accounts', 415, JSON.stringify(account(4004)), { 'content-type': 'text/plain' })
    await declared('POST', 'down:/v1/accounts', 503, account(4004))
    await declared('POST', 'anonymous:/v1/accounts', 401, account(4004))
    await declared('POST', 'wrong:/v1/accounts', 401, account(4004))
    await declared('POST', 'reader:/v1/accounts', 403, account(4004))
    expect((await declared('POST', 'bounded:/v1/accounts', 403, account(4004))).body.code).toBe('ACCOUNT_FORBIDDEN')
    await declared('POST', 'limited:/v1/accounts', 429, account(4004))
  })

  it('GET /v1/accounts/{account_id}', async () => {
    await declared('GET', '/v1/accounts/1001', 200)
    expect((await declared('GET', '/v1/accounts/1001?at=2999-01-01T00:00:00Z', 200)).body).toEqual({ account_id: 1001, balance: '500', at: '2999-01-01T00:00:00.000Z' })
    await declared('GET', '/v1/accounts/1001?at=2000-01-01T00:00:00Z', 404)
    await declared('GET', '/v1/accounts/1001?at=noon', 400)
    await declared('GET', '/v1/accounts/abc', 400)
    await declared('GET', '/v1/accounts/0123', 400)
    await declared('GET', '/v1/accounts/4242', 404)
    await declared('GET', 'down:/v1/accounts/1001', 503)
    await declared('GET', 'anonymous:/v1/accounts/1001', 401)
    await declared('GET', 'writer:/v1/accounts/1001', 403)
    expect((await declared('GET', 'bounded:/v1/accounts/2002', 404)).body.code).toBe('ACCOUNT_NOT_FOUND')
    await declared('GET', 'limited:/v1/accounts/1001', 429)
  })

  let transferId = ''
  it('POST /v1/transfers', async () => {
    transferId = (await declared('POST', '/v1/transfers', 201, transfer(1001, 2002, '150'))).body.transfer_id
    await declared('POST', '/v1/transfers', 201, transfer(1001, 2002, '1'), { 'Idempotency-Key': 'pay-1' })
    expect((await declared('POST', '/v1/transfers', 201, transfer(1001, 2002, '1'), { 'Idempotency-Key': 'pay-1' })).headers.get('idempotent-replayed')).toBe('true')
    await declared('POST', '/v1/transfers', 422, transfer(1001, 2002, '2'), { 'Idempotency-Key': 'pay-1' })
    await declared('POST', '/v1/transfers', 400, transfer(1001, 2002, 150))
    await declared('POST', '/v1/transfers', 400, { source_account_id: 1001, destination_account: 2002, amount: '1' })
    await declared('POST', '/v1/transfers', 400, transfer(1001, 1001, '1'))
    await declared('POST', '/v1/transfers', 400, '[1,', json)
    const missing = await declared('POST', '/v1/transfers', 404, transfer(1001, 9999, '1'))
    expect(missing.body.account_id).toBe(9999)
    await declared('POST', '/v1/transfers', 404, transfer(9998, 1001, '1'), { 'Idempotency-Key': 'pay-2' })
    expect((await declared('POST', '/v1/transfers', 404, transfer(9998, 1001, '1'), { 'Idempotency-Key': 'pay-2' })).headers.get('idempotent-replayed')).toBe('true')
    await declared('POST', '/v1/transfers', 422, transfer(2002, 1001, '1000'))
    await declared('POST', '/v1/accounts', 201, account(5005, '99999999999999999999'))
    await declared('POST', '/v1/transfers', 422, transfer(1001, 5005, '1'))
    await declared('POST', '/v1/transfers', 413, JSON.stringify({ ...transfer(1001, 2002, '1'), pad: 'x'.repeat(65 * 1024) }))
    await declared('POST', '/v1/transfers', 415, JSON.stringify(transfer(1001, 2002, '1')), { 'content-type': 'application/xml' })
    await declared('POST', 'down:/v1/transfers', 503, transfer(1001, 2002, '1'))
    await declared('POST', 'anonymous:/v1/transfers', 401, transfer(1001, 2002, '1'))
    await declared('POST', 'reader:/v1/transfers', 403, transfer(1001, 2002, '1'))
    expect((await declared('POST', 'bounded:/v1/transfers', 403, transfer(2002, 1001, '1'))).body.code).toBe('ACCOUNT_FORBIDDEN')
    await declared('POST', 'limited:/v1/transfers', 429, transfer(1001, 2002, '1'))
  })

  it('POST /v1/transfers/{transfer_id}/post and /void', async () => {
    const reserve = async (amount: string) =>
      (await declared('POST', '/v1/transfers', 201, { ...transfer(1001, 2002, amount), pending: true, timeout_s: 600 })).body.transfer_id as string
    const [posted, voided, open, soon] = [await reserve('1'), await reserve('1'), await reserve('2'), await reserve('1')]
    // From 2002, which the bounded key (account 1001) may see but not debit.
    const inbound = (await declared('POST', '/v1/transfers', 201, { ...transfer(2002, 1001, '1'), pending: true })).body.transfer_id
    await declared('POST', `/v1/transfers/${posted}/post`, 201, { amount: '0.5' }, { 'Idempotency-Key': 'post-1' })
    expect((await declared('POST', `/v1/transfers/${posted}/post`, 201, { amount: '0.5' }, { 'Idempotency-Key': 'post-1' })).headers.get('idempotent-replayed')).toBe('true')
    await declared('POST', `/v1/transfers/${voided}/void`, 201, {})
    for (const action of ['post', 'void']) {
      expect((await declared('POST', `/v1/transfers/${posted}/${action}`, 409, {})).body.code).toBe('TRANSFER_ALREADY_POSTED')
      expect((await declared('POST', `/v1/transfers/${voided}/${action}`, 409, {})).body.code).toBe('TRANSFER_ALREADY_VOIDED')
      expect((await declared('POST', `/v1/transfers/${transferId}/${action}`, 422, {})).body.code).toBe('NOT_A_PENDING_TRANSFER')
      await declared('POST', `/v1/transfers/${open}/${action}`, 422, {}, { 'Idempotency-Key': 'post-1' })
      await declared('POST', `/v1/transfers/019aab1c-4b91-7000-b107-b602d893984e/${action}`, 404, {})
      await declared('POST', `/v1/transfers/not-a-uuid/${action}`, 400, {})
      await declared('POST', `/v1/transfers/${open}/${action}`, 400, '{"amount":', json)
      await declared('POST', `/v1/transfers/${open}/${action}`, 413, JSON.stringify({ pad: 'x'.repeat(65 * 1024) }))
      await declared('POST', `/v1/transfers/${open}/${action}`, 415, '{}', { 'content-type': 'text/plain' })
      await declared('POST', `down:/v1/transfers/${open}/${action}`, 503, {})
      await declared('POST', `anonymous:/v1/transfers/${open}/${action}`, 401, {})
      await declared('POST', `reader:/v1/transfers/${open}/${action}`, 403, {})
      expect((await declared('POST', `bounded:/v1/transfers/${inbound}/${action}`, 403, {})).body.code).toBe('ACCOUNT_FORBIDDEN')
      await declared('POST', `limited:/v1/transfers/${open}/${action}`, 429, {})
    }
    expect((await declared('POST', `/v1/transfers/${open}/post`, 422, { amount: '3' })).body.code).toBe('POST_AMOUNT_EXCEEDS_PENDING')
    // Expired: a timeout of one second, then a post (the sweep need not have run).
    const expiring = (await declared('POST', '/v1/transfers', 201, { ...transfer(1001, 2002, '1'), pending: true, timeout_s: 1 })).body.transfer_id
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expect((await declared('POST', `/v1/transfers/${expiring}/post`, 409, {})).body.code).toBe('TRANSFER_EXPIRED')
    expect((await declared('POST', `/v1/transfers/${expiring}/void`, 409, {})).body.code).toBe('TRANSFER_EXPIRED')
    await declared('POST', `/v1/transfers/${soon}/void`, 201, {})
  })

  it('POST /v1/transfers/batch', async () => {
    const batch = (atomic: boolean, ...transfers: unknown[]) => ({ atomic, transfers })
    await declared('POST', '/v1/transfers/batch', 201, batch(true, transfer(1001, 2002, '1'), { ...transfer(1001, 2002, '1'), pending: true }))
    const mixed = await declared('POST', '/v1/transfers/batch', 200, batch(false, transfer(1001, 2002, '1'), transfer(2002, 1001, '100000'), transfer(1001, 9999, '1')), { 'Idempotency-Key': 'batch-1' })
    expect(mixed.body.results.map((r: any) => r.status)).toEqual([201, 422, 404])
    expect((await declared('POST', '/v1/transfers/batch', 200, batch(false, transfer(1001, 2002, '1'), transfer(2002, 1001, '100000'), transfer(1001, 9999, '1')), { 'Idempotency-Key': 'batch-1' })).headers.get('idempotent-replayed')).toBe('true')
    await declared('POST', '/v1/transfers/batch', 422, batch(false, transfer(1001, 2002, '2')), { 'Idempotency-Key': 'batch-1' })
    const poison = await declared('POST', '/v1/transfers/batch', 422, batch(true, transfer(1001, 2002, '1'), transfer(1001, 9999, '1')))
    expect(poison.body).toMatchObject({ code: 'BATCH_ITEM_REFUSED', index: 1, item_code: 'ACCOUNT_NOT_FOUND', account_id: 9999 })
    await declared('POST', '/v1/transfers/batch', 400, batch(true))
    await declared('POST', '/v1/transfers/batch', 400, '{"atomic":', json)
    await declared('POST', '/v1/transfers/batch', 413, JSON.stringify({ ...batch(true, transfer(1001, 2002, '1')), pad: 'x'.repeat(513 * 1024) }))
    await declared('POST', '/v1/transfers/batch', 415, JSON.stringify(batch(true, transfer(1001, 2002, '1'))), { 'content-type': 'text/plain' })
    await declared('POST', 'down:/v1/transfers/batch', 503, batch(true, transfer(1001, 2002, '1')))
    await declared('POST', 'anonymous:/v1/transfers/batch', 401, batch(true, transfer(1001, 2002, '1')))
    await declared('POST', 'reader:/v1/transfers/batch', 403, batch(true, transfer(1001, 2002, '1')))
    expect((await declared('POST', 'bounded:/v1/transfers/batch', 403, batch(true, transfer(1001, 2002, '1'), transfer(2002, 1001, '1')))).body.code).toBe('ACCOUNT_FORBIDDEN')
    await declared('POST', 'limited:/v1/transfers/batch', 429, batch(true, transfer(1001, 2002, '1')))
  })

  it('GET /v1/transfers/{transfer_id}', async () => {
    await declared('GET', `/v1/transfers/${transferId}`, 200)
    await declared('GET', '/v1/transfers/not-a-uuid', 400)
    await declared('GET', '/v1/transfers/019aab1c-4b91-7000-b107-b602d893984e', 404)
    await declared('GET', `down:/v1/transfers/${transferId}`, 503)
    await declared('GET', `anonymous:/v1/transfers/${transferId}`, 401)
    await declared('GET', `writer:/v1/transfers/${transferId}`, 403)
    await declared('GET', `limited:/v1/transfers/${transferId}`, 429)
  })

  it('GET /v1/accounts/{account_id}/transfers', async () => {
    const first = await declared('GET', '/v1/accounts/1001/transfers?limit=1', 200)
    expect(first.body.next_cursor).toEqual(expect.any(String))
    const last = await declared('GET', `/v1/accounts/1001/transfers?limit=200&cursor=${first.body.next_cursor}`, 200)
    expect(last.body.next_cursor).toBeNull()
    await declared('GET', '/v1/accounts/1001/transfers?limit=0', 400)
    await declared('GET', '/v1/accounts/1001/transfers?cursor=bm90LWEtY3Vyc29y', 400)
    await declared('GET', '/v1/accounts/4242/transfers', 404)
    await declared('GET', 'down:/v1/accounts/1001/transfers', 503)
    await declared('GET', 'anonymous:/v1/accounts/1001/transfers', 401)
    await declared('GET', 'writer:/v1/accounts/1001/transfers', 403)
    await declared('GET', 'limited:/v1/accounts/1001/transfers', 429)
  })

  it('GET /livez and /readyz', async () => {
    await declared('GET', '/livez', 200)
    await declared('GET', '/readyz', 200)
    await declared('GET', 'down:/readyz', 503)
  })

  it('a method a path does not serve is 405, and Allow names what the document declares for it', async () => {
    for (const [method, path] of [
      ['DELETE', '/v1/accounts/1001'],
      ['GET', '/v1/transfers'],
      ['PUT', '/v1/accounts/1001/transfers'],
      ['POST', '/readyz'],
    ] as const) {
      const reply: Reply = await api.send(method, path)
      expect(reply.status).toBe(405)
      const methods = Object.keys(doc.paths[templateOf(path) as string] ?? {}).map((m) => m.toUpperCase())
      expect(methods).not.toContain(method)
      // HEAD is served wherever GET is (fastify), and an OpenAPI document leaves it implied.
      expect(reply.headers.get('allow')?.split(', ')).toEqual([...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].sort())
    }
  })

  it('a path the document does not have is 404 ROUTE_NOT_FOUND', async () => {
    expect(templateOf('/v2/accounts')).toBeUndefined()
    expect(await api.get('/v2/accounts')).toMatchObject({ status: 404, body: { code: 'ROUTE_NOT_FOUND' } })
  })

  it('every declared response was exercised, but for those that cannot be here', () => {
    const declaredKeys = Object.entries(doc.paths).flatMap(([template, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        Object.keys(operation.responses).map((status) => `${method.toUpperCase()} ${template} ${status}`),
      ),
    )
    const missing = declaredKeys.filter((key) => !exercised.has(key) && !isInternalError(key) && !(key in NOT_EXERCISED))
    expect(missing).toEqual([])
  })
})
