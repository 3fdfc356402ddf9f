import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAccountRanges, SCOPES, type Scope } from '../../src/domain/access.js'
import { client, createKey, freshDatabaseUrl, type Reply, revokeKey, type RunningService, startService } from './support/service.js'

// API keys in front of every route: 401 without a valid key, 403 without the route's scope, 404
// for reads and 403 for debits of accounts outside a key's grant, and idempotency keys per API key.

let service: RunningService
let full: ReturnType<typeof client>
/** A key with this one scope, on every account. */
const only = {} as Record<Scope, ReturnType<typeof client>>
/** Every scope, on accounts 100–199 only (A); B is 200–299. */
let boundedA: ReturnType<typeof client>
let boundedKeyId = ''
let transferInB = ''
let transferAtoB = ''

const transfer = (from: number, to: number, amount = '1') => ({ source_account_id: from, destination_account_id: to, amount })

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('auth') })
  full = client(service)
  for (const scope of SCOPES) only[scope] = client(service.baseUrl, (await createKey(service.databaseUrl, { scopes: new Set([scope]), accounts: undefined })).text)
  const bounded = await createKey(service.databaseUrl, { scopes: new Set(SCOPES), accounts: parseAccountRanges('100-199') }, 'bounded')
  boundedKeyId = bounded.id
  boundedA = client(service.baseUrl, bounded.text)
  for (const id of [100, 101, 200, 201]) expect((await full.createAccount(id, '100')).status).toBe(201)
  transferInB = (await full.post('/v1/transfers', transfer(200, 201))).body.transfer_id
  transferAtoB = (await full.post('/v1/transfers', transfer(100, 200))).body.transfer_id
})
afterAll(() => service?.stop())

/** Every route that needs a key, the scope it needs, and a request of it that would succeed with it. */
const ROUTES: { scope: Scope; method: string; path: () => string; body?: () => unknown; ok: number }[] = [
  { scope: 'accounts:write', method: 'POST', path: () => '/v1/accounts', body: () => ({ account_id: 1000 + Math.floor(Math.random() * 1e9), initial_balance: '1' }), ok: 201 },
  { scope: 'accounts:read', method: 'GET', path: () => '/v1/accounts/100', ok: 200 },
  { scope: 'transfers:write', method: 'POST', path: () => '/v1/transfers', body: () => transfer(101, 100), ok: 201 },
  { scope: 'transfers:read', method: 'GET', path: () => `/v1/transfers/${transferInB}`, ok: 200 },
  { scope: 'transfers:read', method: 'GET', path: () => '/v1/accounts/100/transfers', ok: 200 },
]

const send = (api: ReturnType<typeof client>, route: (typeof ROUTES)[number], headers?: Record<string, string>) =>
  api.send(route.method, route.path(), route.body?.(), headers)

function expectUnauthenticated(reply: Reply, invalidToken: boolean): void {
  expect(reply.status, reply.text).toBe(401)
  expect(reply.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' })
  expect(reply.headers.get('www-authenticate')).toBe(`Bearer realm="internal-transfers"${invalidToken ? ', error="invalid_token"' : ''}`)
}

describe.each(ROUTES)('$method $scope route', (route) => {
  it('answers 401 with WWW-Authenticate without a valid key', async () => {
    const anonymous = client(service.baseUrl)
    expectUnauthenticated(await send(anonymous, route), false)
    const text = service.key as string
    const wrongSecret = text.slice(0, -2) + (text.endsWith('AA') ? 'BB' : 'AA')
    for (const authorization of [
      `Basic ${Buffer.from('user:pass').toString('base64')}`,
      'Bearer',
      'Bearer not-a-key',
      `Bearer ${text}x`,
      `Bearer ${wrongSecret}`,
      `Bearer itk_${'q'.repeat(12)}_${text.slice(-43)}`, // an id nobody has, with a real secret
    ]) {
      expectUnauthenticated(await send(anonymous, route, { authorization }), true)
    }
    // The scheme is case-insensitive.
    expect((await send(anonymous, route, { authorization: `bearer ${text}` })).status).toBe(route.ok)
  })

  it.each(SCOPES)('with a key of the one scope %s: 403 unless it is the route\'s', async (scope) => {
    const reply = await send(only[scope], route)
    if (scope === route.scope) expect(reply.status, reply.text).toBe(route.ok)
    else {
      expect(reply.status, reply.text).toBe(403)
      expect(reply.body).toMatchObject({ code: 'INSUFFICIENT_SCOPE', detail: `This API key lacks the scope ${route.scope}` })
      expect(reply.headers.get('www-authenticate')).toBe(`Bearer realm="internal-transfers", error="insufficient_scope", scope="${route.scope}"`)
    }
  })
})

describe('a key limited to accounts A (BOLA)', () => {
  it('reads an account of B exactly as one that does not exist', async () => {
    const ofB = await boundedA.get('/v1/accounts/200')
    const missing = await boundedA.get('/v1/accounts/199')
    expect(ofB.status).toBe(404)
    expect(ofB.text).toBe(missing.text.replaceAll('199', '200'))
    expect(await boundedA.get('/v1/accounts/100')).toMatchObject({ status: 200, body: { account_id: 100 } })
  })

  it('cannot list the history of B', async () => {
    const ofB = await boundedA.get('/v1/accounts/200/transfers')
    expect(ofB).toMatchObject({ status: 404, body: { code: 'ACCOUNT_NOT_FOUND', account_id: 200 } })
    expect(ofB.text).toBe((await boundedA.get('/v1/accounts/199/transfers')).text.replaceAll('199', '200'))
  })

  it('reads a transfer only when it touches A', async () => {
    const ofB = await boundedA.get(`/v1/transfers/${transferInB}`)
    expect(ofB).toMatchObject({ status: 404, body: { code: 'TRANSFER_NOT_FOUND' } })
    expect(ofB.text).toBe((await boundedA.get('/v1/transfers/019aab1c-4b91-7000-b107-b602d893984e')).text.replace('019aab1c-4b91-7000-b107-b602d893984e', transferInB))
    expect((await boundedA.get(`/v1/transfers/${transferAtoB}`)).status).toBe(200)
  })

  it('cannot debit B nor open an account there, and moves nothing trying', async () => {
    const before = await full.balance(200)
    const debit = await boundedA.post('/v1/transfers', transfer(200, 100, '5'))
    expect(debit).toMatchObject({ status: 403, body: { code: 'ACCOUNT_FORBIDDEN', detail: 'This API key may not open or debit account 200' } })
    // Even a source that does not exist is refused the same way: no existence oracle.
    expect((await boundedA.post('/v1/transfers', transfer(299, 100, '5'))).body.code).toBe('ACCOUNT_FORBIDDEN')
    expect((await boundedA.post('/v1/accounts', { account_id: 300, initial_balance: '1' })).body.code).toBe('ACCOUNT_FORBIDDEN')
    expect(await full.balance(200)).toBe(before)
    expect((await full.get('/v1/accounts/300')).status).toBe(404)
  })

  it('may pay into B, and the records name the key that made them', async () => {
    const paid = await boundedA.post('/v1/transfers', transfer(101, 201, '2'))
    expect(paid).toMatchObject({ status: 201, body: { created_by: boundedKeyId } })
    expect((await full.get(`/v1/transfers/${paid.body.transfer_id}`)).body.created_by).toBe(boundedKeyId)
    const history = await boundedA.get('/v1/accounts/101/transfers')
    expect(history.body.items.find((item: any) => item.transfer_id === paid.body.transfer_id)).toMatchObject({ created_by: boundedKeyId, direction: 'outgoing' })
    const row = await service.db.selectFrom('transfers').select('created_by').where('transfer_id', '=', paid.body.transfer_id).executeTakeFirstOrThrow()
    expect(row.created_by).toBe(boundedKeyId)

    expect((await boundedA.createAccount(150, '0')).status).toBe(201)
    const opened = await service.db.selectFrom('accounts').select('created_by').where('account_id', '=', 150).executeTakeFirstOrThrow()
    expect(opened.created_by).toBe(boundedKeyId)
    const byFull = await service.db.selectFrom('accounts').select('created_by').where('account_id', '=', 100).executeTakeFirstOrThrow()
    expect(byFull.created_by).toBe(service.keyId)
  })
})

describe('idempotency keys', () => {
  it('are per API key: two callers with the same Idempotency-Key never see each other\'s answers', async () => {
    const [first, second] = [full, boundedA]
    const headers = { 'Idempotency-Key': 'shared-key-1' }
    const a = await first.post('/v1/transfers', transfer(100, 101, '3'), headers)
    // Another body under the same header value: another caller's key, not a reuse.
    const b = await second.post('/v1/transfers', transfer(101, 100, '4'), headers)
    expect([a.status, b.status]).toEqual([201, 201])
    expect(b.headers.get('idempotent-replayed')).toBeNull()
    expect(b.body.transfer_id).not.toBe(a.body.transfer_id)
    expect([a.body.created_by, b.body.created_by]).toEqual([service.keyId, boundedKeyId])
    // Each one's retry replays its own answer.
    const againA = await first.post('/v1/transfers', transfer(100, 101, '3'), headers)
    const againB = await second.post('/v1/transfers', transfer(101, 100, '4'), headers)
    expect([againA.text, againB.text]).toEqual([a.text, b.text])
    expect([againA.headers.get('idempotent-replayed'), againB.headers.get('idempotent-replayed')]).toEqual(['true', 'true'])
    // The first caller's body under the second caller's key is the second caller's reuse of its own key.
    expect((await second.post('/v1/transfers', transfer(100, 101, '3'), headers)).body.code).toBe('IDEMPOTENCY_KEY_REUSED')
    const rows = await service.db.selectFrom('idempotency_keys').select('idempotency_key').where('idempotency_key', 'like', '% shared-key-1').execute()
    expect(rows.map((row) => row.idempotency_key).sort()).toEqual([`${boundedKeyId} shared-key-1`, `${service.keyId} shared-key-1`].sort())
  })
})

describe('a revoked key', () => {
  it('is refused by this instance within its key cache lifetime', async () => {
    const made = await createKey(service.databaseUrl)
    const api = client(service.baseUrl, made.text)
    expect((await api.get('/v1/accounts/100')).status).toBe(200)
    await revokeKey(service.databaseUrl, made.id)
    // AUTH_KEY_CACHE_MS is 500 by default.
    await new Promise((resolve) => setTimeout(resolve, 600))
    expectUnauthenticated(await api.get('/v1/accounts/100'), true)
  })
})

describe('the open routes', () => {
  it('answer without a key and without rate-limit headers: health checks; /docs by default', async () => {
    const anonymous = client(service.baseUrl)
    for (const path of ['/livez', '/readyz']) {
      const reply = await anonymous.get(path)
      expect(reply.status).toBe(200)
      expect(reply.headers.get('ratelimit-limit')).toBeNull()
    }
    expect((await anonymous.get('/docs/json')).status).toBe(200)
  })

  it('DOCS=key asks any valid key for /docs; DOCS=off does not serve it', async () => {
    const keyed = await startService({ databaseUrl: freshDatabaseUrl('auth_docs'), env: { DOCS: 'key' } })
    const hidden = await startService({ databaseUrl: freshDatabaseUrl('auth_nodocs'), env: { DOCS: 'off' } })
    try {
      expectUnauthenticated(await client(keyed.baseUrl).get('/docs/json'), false)
      expect((await client(keyed).get('/docs/json')).status).toBe(200)
      expect((await client(hidden).get('/docs/json')).status).toBe(404)
    } finally {
      await keyed.stop()
      await hidden.stop()
    }
  })

  it('with AUTH=off, anyone may do anything, and records name no key', async () => {
    const open = await startService({ databaseUrl: freshDatabaseUrl('auth_off'), auth: false })
    try {
      const anonymous = client(open.baseUrl)
      expect((await anonymous.createAccount(1, '5')).status).toBe(201)
      expect((await anonymous.createAccount(2, '0')).status).toBe(201)
      expect((await anonymous.transfer(1, 2, '1')).body.created_by).toBeNull()
    } finally {
      await open.stop()
    }
  })
})
