import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

let service: RunningService
let api: ReturnType<typeof client>

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('api') })
  api = client(service)
})
afterAll(() => service.stop())

function expectProblem(reply: { status: number; contentType: string | null; body: any }, status: number, code: string) {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  expect(reply.contentType).toMatch(/^application\/problem\+json/)
  expect(reply.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) })
}

describe('the seed flow', () => {
  it('creates two accounts, moves 150 and shows 350 and 150', async () => {
    expect(await api.createAccount(1001, '500')).toMatchObject({ status: 201, body: { account_id: 1001, balance: '500' } })
    expect(await api.createAccount(2002, '0')).toMatchObject({ status: 201, body: { account_id: 2002, balance: '0' } })

    const transfer = await api.transfer(1001, 2002, '150')
    expect(transfer.status).toBe(201)
    expect(transfer.body).toEqual({
      transfer_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      source_account_id: 1001,
      destination_account_id: 2002,
      amount: '150',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      created_by: service.keyId,
      status: 'posted',
      expires_at: null,
      pending_transfer_id: null,
    })
    expect(Math.abs(Date.parse(transfer.body.created_at) - Date.now())).toBeLessThan(60_000)

    expect(await api.get('/v1/accounts/1001')).toMatchObject({
      status: 200,
      body: { account_id: 1001, balance: '350', pending_debits: '0', pending_credits: '0', available: '350' },
    })
    expect(await api.get('/v1/accounts/2002')).toMatchObject({ status: 200, body: { account_id: 2002, balance: '150' } })
  })
})

describe('accounts', () => {
  it('refuses a duplicate id with 409 and keeps the first balance', async () => {
    await api.createAccount(3001, '10')
    expectProblem(await api.createAccount(3001, '99'), 409, 'ACCOUNT_EXISTS')
    expect(await api.balance(3001)).toBe('10')
  })

  it('answers 404 for an unknown account', async () => {
    expectProblem(await api.get('/v1/accounts/424242'), 404, 'ACCOUNT_NOT_FOUND')
  })

  it.each(['abc', '0', '-1', '1.5', '01', '9007199254740992', '99999999999999999', '1e3', '%20'])(
    'answers 400 for the path id %j',
    async (id) => {
      expectProblem(await api.get(`/v1/accounts/${id}`), 400, 'VALIDATION_FAILED')
    },
  )

  it('says so when a path id has a leading zero', async () => {
    const reply = await api.get('/v1/accounts/0123')
    expectProblem(reply, 400, 'VALIDATION_FAILED')
    expect(reply.body.detail).toBe('params.account_id has a leading zero: ids are written without one (123, not 0123)')
    expect((await api.get('/v1/accounts/007/transfers')).body.detail).toContain('(7, not 007)')
  })

  it('accepts the largest safe id', async () => {
    expect((await api.createAccount(Number.MAX_SAFE_INTEGER, '1')).status).toBe(201)
    expect(await api.get(`/v1/accounts/${Number.MAX_SAFE_INTEGER}`)).toMatchObject({
      status: 200,
      body: { account_id: Number.MAX_SAFE_INTEGER, balance: '1' },
    })
  })
})

describe('request validation', () => {
  const badIds: [string, unknown][] = [
    ['a string', '1001'],
    ['a float', 1.5],
    ['zero', 0],
    ['a negative', -5],
    ['a boolean', true],
    ['null', null],
    ['beyond 2^53−1', 9007199254740992],
  ]
  it.each(badIds)('rejects %s as account_id with 400', async (_label, id) => {
    const reply = await api.post('/v1/accounts', { account_id: id, initial_balance: '1' })
    expectProblem(reply, 400, 'VALIDATION_FAILED')
    expect(reply.body.detail).toContain('account_id')
  })

  it.each(badIds)('rejects %s as source_account_id with 400', async (_label, id) => {
    expectProblem(
      await api.post('/v1/transfers', { source_account_id: id, destination_account_id: 2002, amount: '1' }),
      400,
      'VALIDATION_FAILED',
    )
  })

  const badAmounts: unknown[] = [
    150,
    1.5,
    '',
    ' 1',
    '1 ',
    '-1',
    '+1',
    '1e2',
    '.5',
    '5.',
    '0x10',
    '1,5',
    'abc',
    '123456789012345678901',
    '1.1234567890123456789',
    true,
    null,
  ]
  it.each(badAmounts)('rejects the initial_balance %j with a message that says what is accepted', async (value) => {
    const reply = await api.post('/v1/accounts', { account_id: 5001, initial_balance: value })
    expectProblem(reply, 400, 'VALIDATION_FAILED')
    expect(reply.body.detail).toContain('plain decimal notation with at most 20 integer digits and 18 fractional digits')
  })

  it.each([...badAmounts, '0', '0.0', '000.000000000000000000'])('rejects the amount %j with 400', async (value) => {
    await api.createAccount(5101, '100')
    await api.createAccount(5102, '0')
    const reply = await api.post('/v1/transfers', { source_account_id: 5101, destination_account_id: 5102, amount: value })
    expectProblem(reply, 400, 'VALIDATION_FAILED')
    expect(reply.body.detail).toMatch(/amount must be .*greater than zero/)
    expect(await api.balance(5101)).toBe('100')
  })

  it('rejects unknown fields instead of dropping them', async () => {
    const reply = await api.post('/v1/accounts', { account_id: 5201, initial_balance: '1', currency: 'EUR' })
    expectProblem(reply, 400, 'VALIDATION_FAILED')
    expect(reply.body.detail).toContain('currency')
    expectProblem(await api.get('/v1/accounts/5201'), 404, 'ACCOUNT_NOT_FOUND')
  })

  it('rejects missing fields', async () => {
    const reply = await api.post('/v1/transfers', { source_account_id: 1001, amount: '1' })
    expectProblem(reply, 400, 'VALIDATION_FAILED')
    expect(reply.body.detail).toBe('body.destination_account_id is required')
  })

  it('names a misspelt field, not only the field it misses', async () => {
    const reply = await api.post('/v1/transfers', { source_account_id: 1001, destination_account: 2002, amount: '1' })
    expectProblem(reply, 400, 'VALIDATION_FAILED')
    expect(reply.body.detail).toBe(
      'body has an unknown field "destination_account", and body.destination_account_id is required; ' +
        'accepted fields: source_account_id, destination_account_id, amount, pending, timeout_s',
    )
  })

  it.each(['{"account_id": 1,', '[1,2', '{"account_id": 01}', "{'a': 1}"])('answers 400 MALFORMED_JSON to %s', async (text) => {
    expectProblem(await api.post('/v1/accounts', text), 400, 'MALFORMED_JSON')
  })

  it.each([
    ['a JSON array', []],
    ['a JSON string', '"x"'],
    ['JSON null', 'null'],
  ])('answers 400 to %s as body', async (_label, body) => {
    expectProblem(await api.post('/v1/accounts', body), 400, 'VALIDATION_FAILED')
  })

  it('answers 400 to an empty JSON body', async () => {
    expectProblem(await api.send('POST', '/v1/accounts', '', { 'content-type': 'application/json' }), 400, 'MALFORMED_JSON')
  })

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x'])(
    'answers 415 to content type %s',
    async (type) => {
      const reply = await api.send('POST', '/v1/accounts', '{"account_id":6001,"initial_balance":"1"}', { 'content-type': type })
      expectProblem(reply, 415, 'UNSUPPORTED_MEDIA_TYPE')
      expectProblem(await api.get('/v1/accounts/6001'), 404, 'ACCOUNT_NOT_FOUND')
    },
  )

  it('answers 413 to a body over 64 KiB', async () => {
    const body = JSON.stringify({ account_id: 6101, initial_balance: '1', pad: 'x'.repeat(64 * 1024) })
    expectProblem(await api.post('/v1/accounts', body), 413, 'PAYLOAD_TOO_LARGE')
  })

  it('answers 404 problem+json for an unknown route', async () => {
    expectProblem(await api.get('/v2/nothing'), 404, 'ROUTE_NOT_FOUND')
  })

  it.each([
    ['DELETE', '/v1/accounts/1001', 'GET, HEAD'],
    ['PUT', '/v1/accounts', 'POST'],
    ['GET', '/v1/transfers', 'POST'],
    ['PATCH', '/v1/accounts/1001/transfers', 'GET, HEAD'],
    ['POST', '/v1/transfers/019aab1c-4b91-7000-b107-b602d893984e', 'GET, HEAD'],
    ['OPTIONS', '/readyz', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const reply = await api.send(method, path)
    expectProblem(reply, 405, 'METHOD_NOT_ALLOWED')
    expect(reply.headers.get('allow')).toBe(allow)
    expect(reply.body.detail).toBe(`${method} is not served on ${path}; use ${allow}`)
  })

  it('answers 405 before it parses the body, whatever its type', async () => {
    const reply = await api.send('POST', '/v1/accounts/1001', 'x', { 'content-type': 'text/plain' })
    expectProblem(reply, 405, 'METHOD_NOT_ALLOWED')
  })
})

describe('transfers', () => {
  beforeAll(async () => {
    await api.createAccount(7001, '100')
    await api.createAccount(7002, '5')
  })

  it('refuses an overdraft with 422 and changes nothing', async () => {
    expectProblem(await api.transfer(7001, 7002, '100.000000000000000001'), 422, 'INSUFFICIENT_FUNDS')
    expect(await api.balance(7001)).toBe('100')
    expect(await api.balance(7002)).toBe('5')
  })

  it('says which account is unknown', async () => {
    const missingSource = await api.transfer(7999, 7002, '1')
    expectProblem(missingSource, 404, 'ACCOUNT_NOT_FOUND')
    expect(missingSource.body).toMatchObject({ account_id: 7999, detail: expect.stringContaining('7999') })
    const missingDestination = await api.transfer(7001, 7998, '1')
    expectProblem(missingDestination, 404, 'ACCOUNT_NOT_FOUND')
    expect(missingDestination.body).toMatchObject({ account_id: 7998, detail: expect.stringContaining('7998') })
    expect(await api.balance(7001)).toBe('100')
  })

  it('refuses the same account on both sides with 400', async () => {
    expectProblem(await api.transfer(7001, 7001, '1'), 400, 'SAME_ACCOUNT')
  })

  it('allows moving the whole balance', async () => {
    expect((await api.transfer(7002, 7001, '5')).status).toBe(201)
    expect(await api.balance(7002)).toBe('0')
    expect(await api.balance(7001)).toBe('105')
  })
})

describe('precision', () => {
  const MAX = '99999999999999999999.999999999999999999'
  const TINY = '0.000000000000000001'

  it('keeps balances exact at full precision', async () => {
    await api.createAccount(8001, MAX)
    await api.createAccount(8002, '0')
    expect(await api.balance(8001)).toBe(MAX)
    const reply = await api.transfer(8001, 8002, TINY)
    expect(reply).toMatchObject({ status: 201, body: { amount: TINY } })
    expect(await api.balance(8001)).toBe('99999999999999999999.999999999999999998')
    expect(await api.balance(8002)).toBe(TINY)
  })

  it('prints values without exponent and trims trailing zeros', async () => {
    await api.createAccount(8003, '1.500000000000000000')
    expect(await api.balance(8003)).toBe('1.5')
    await api.createAccount(8004, '12345678901234567890')
    expect(await api.balance(8004)).toBe('12345678901234567890')
  })

  it('refuses a credit past DECIMAL(38,18) with 422 instead of rounding', async () => {
    await api.createAccount(8005, MAX)
    await api.createAccount(8006, '1')
    expectProblem(await api.transfer(8006, 8005, TINY), 422, 'BALANCE_LIMIT_EXCEEDED')
    expect(await api.balance(8005)).toBe(MAX)
    expect(await api.balance(8006)).toBe('1')
  })
})

describe('operations', () => {
  it('answers /livez and /readyz', async () => {
    expect(await api.get('/livez')).toMatchObject({ status: 200 })
    expect(await api.get('/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } })
  })

  it('serves an OpenAPI 3.1 description generated from the route schemas', async () => {
    const spec = await api.get('/docs/json')
    expect(spec.status).toBe(200)
    expect(spec.body.openapi).toBe('3.1.0')
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining(['/v1/accounts', '/v1/accounts/{account_id}', '/v1/transfers']),
    )
    const ui = await fetch(`${service.baseUrl}/docs`)
    expect(ui.status).toBe(200)
    expect(ui.headers.get('content-type')).toContain('text/html')
  })
})
