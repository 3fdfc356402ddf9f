import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAccountRanges } from '../../src/domain/access.js'
import { client, createKey, freshDatabaseUrl, type Reply, type RunningService, startService } from './support/service.js'

// Two-phase transfers over real HTTP, MariaDB and Redis: every status code of the pending routes.
// `service` sweeps rarely (an hour), so what a late post meets before any sweep shows; `sweeping`
// sweeps every 100 ms.

let service: RunningService
let sweeping: RunningService
let api: ReturnType<typeof client>

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('pending'), redisUrl: 'redis://127.0.0.1:6379', env: { PENDING_SWEEP_INTERVAL_MS: '3600000' } })
  sweeping = await startService({ databaseUrl: freshDatabaseUrl('pending_sweep'), env: { PENDING_SWEEP_INTERVAL_MS: '100' } })
  api = client(service)
})
afterAll(async () => {
  await service?.stop()
  await sweeping?.stop()
})

function expectProblem(reply: Reply, status: number, code: string) {
  expect(reply.status, reply.text).toBe(status)
  expect(reply.contentType).toMatch(/^application\/problem\+json/)
  expect(reply.body).toMatchObject({ status, code })
}
const pending = (from: number, to: number, amount: string, extra: Record<string, unknown> = {}) =>
  ({ source_account_id: from, destination_account_id: to, amount, pending: true, ...extra })
const account = async (target: ReturnType<typeof client>, id: number) => {
  const { balance, pending_debits, pending_credits, available } = (await target.get(`/v1/accounts/${id}`)).body
  return { balance, pending_debits, pending_credits, available }
}
const until = async (check: () => Promise<boolean>, what: string) => {
  const deadline = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('a pending transfer', () => {
  beforeAll(async () => {
    await api.createAccount(1, '100')
    await api.createAccount(2, '0')
  })

  it('reserves the amount: 201 pending with expires_at; available drops, the posted balance does not, the destination shows a pending credit', async () => {
    const before = Date.now()
    const reply = await api.post('/v1/transfers', pending(1, 2, '30', { timeout_s: 600 }))
    expect(reply.status, reply.text).toBe(201)
    expect(reply.body).toMatchObject({ status: 'pending', amount: '30', pending_transfer_id: null })
    const expiresIn = Date.parse(reply.body.expires_at) - before
    expect(expiresIn).toBeGreaterThan(590_000)
    expect(expiresIn).toBeLessThan(660_000)
    expect(await account(api, 1)).toEqual({ balance: '100', pending_debits: '30', pending_credits: '0', available: '70' })
    expect(await account(api, 2)).toEqual({ balance: '0', pending_debits: '0', pending_credits: '30', available: '0' })
    expect((await api.get(`/v1/transfers/${reply.body.transfer_id}`)).body).toEqual(reply.body)
  })

  it('judges insufficient funds on the available balance', async () => {
    expectProblem(await api.transfer(1, 2, '70.01'), 422, 'INSUFFICIENT_FUNDS')
    expectProblem(await api.post('/v1/transfers', pending(1, 2, '71')), 422, 'INSUFFICIENT_FUNDS')
    expect((await api.transfer(1, 2, '0.01')).status).toBe(201)
  })

  it.each([0, 604_801, 1.5, '60'])('refuses timeout_s %j with 400', async (timeout) => {
    expectProblem(await api.post('/v1/transfers', pending(1, 2, '1', { timeout_s: timeout })), 400, 'VALIDATION_FAILED')
  })

  it('refuses timeout_s without pending, and accepts the bounds', async () => {
    expectProblem(await api.post('/v1/transfers', { source_account_id: 1, destination_account_id: 2, amount: '1', timeout_s: 60 }), 400, 'VALIDATION_FAILED')
    expect((await api.post('/v1/transfers', pending(1, 2, '1', { timeout_s: 1 }))).status).toBe(201)
    expect((await api.post('/v1/transfers', pending(1, 2, '1', { timeout_s: 604_800 }))).status).toBe(201)
  })
})

describe('posting and voiding', () => {
  let plainId = ''
  beforeAll(async () => {
    await api.createAccount(11, '100')
    await api.createAccount(12, '0')
    plainId = (await api.transfer(11, 12, '1')).body.transfer_id
  })
  const reserve = async (amount: string) => (await api.post('/v1/transfers', pending(11, 12, amount))).body.transfer_id as string

  it('posts all by default: the record names the pending transfer, which now shows posted; the money moved', async () => {
    const id = await reserve('10')
    const reply = await api.post(`/v1/transfers/${id}/post`, {})
    expect(reply.status, reply.text).toBe(201)
    expect(reply.body).toMatchObject({ status: 'posted', amount: '10', pending_transfer_id: id, expires_at: null, source_account_id: 11, destination_account_id: 12 })
    expect((await api.get(`/v1/transfers/${id}`)).body).toMatchObject({ status: 'posted', pending_transfer_id: null })
    expect(await account(api, 11)).toEqual({ balance: '89', pending_debits: '0', pending_credits: '0', available: '89' })
    expect(await account(api, 12)).toEqual({ balance: '11', pending_debits: '0', pending_credits: '0', available: '11' })
  })

  it('posts part and releases the rest', async () => {
    const id = await reserve('10')
    expect((await api.post(`/v1/transfers/${id}/post`, { amount: '2.5' })).body).toMatchObject({ amount: '2.5', status: 'posted' })
    expect(await account(api, 11)).toEqual({ balance: '86.5', pending_debits: '0', pending_credits: '0', available: '86.5' })
  })

  it('voids: 201, the reservation released, nothing moved', async () => {
    const id = await reserve('10')
    const reply = await api.post(`/v1/transfers/${id}/void`, {})
    expect(reply.status, reply.text).toBe(201)
    expect(reply.body).toMatchObject({ status: 'voided', amount: '10', pending_transfer_id: id })
    expect((await api.get(`/v1/transfers/${id}`)).body.status).toBe('voided')
    expect(await account(api, 11)).toEqual({ balance: '86.5', pending_debits: '0', pending_credits: '0', available: '86.5' })
  })

  it('answers each resolution that cannot be with its own code, and changes nothing', async () => {
    const posted = await reserve('1')
    await api.post(`/v1/transfers/${posted}/post`, {})
    const voided = await reserve('1')
    await api.post(`/v1/transfers/${voided}/void`, {})
    const open = await reserve('5')
    const before = await account(api, 11)
    expectProblem(await api.post(`/v1/transfers/${posted}/post`, {}), 409, 'TRANSFER_ALREADY_POSTED')
    expectProblem(await api.post(`/v1/transfers/${posted}/void`, {}), 409, 'TRANSFER_ALREADY_POSTED')
    expectProblem(await api.post(`/v1/transfers/${voided}/post`, {}), 409, 'TRANSFER_ALREADY_VOIDED')
    expectProblem(await api.post(`/v1/transfers/${voided}/void`, {}), 409, 'TRANSFER_ALREADY_VOIDED')
    expectProblem(await api.post(`/v1/transfers/${open}/post`, { amount: '5.000000000000000001' }), 422, 'POST_AMOUNT_EXCEEDS_PENDING')
    expectProblem(await api.post(`/v1/transfers/${plainId}/post`, {}), 422, 'NOT_A_PENDING_TRANSFER')
    expectProblem(await api.post(`/v1/transfers/${plainId}/void`, {}), 422, 'NOT_A_PENDING_TRANSFER')
    expectProblem(await api.post('/v1/transfers/019aab1c-4b91-7000-b107-b602d893984e/post', {}), 404, 'TRANSFER_NOT_FOUND')
    expectProblem(await api.post(`/v1/transfers/${open}/post`, { amount: '0' }), 400, 'VALIDATION_FAILED')
    expectProblem(await api.post(`/v1/transfers/${open}/void`, { amount: '1' }), 400, 'VALIDATION_FAILED')
    expect(await account(api, 11)).toEqual(before)
  })

  it('replays a post under its Idempotency-Key, and refuses the key with another body', async () => {
    const id = await reserve('4')
    const first = await api.post(`/v1/transfers/${id}/post`, { amount: '1' }, { 'Idempotency-Key': `post-${id}` })
    const again = await api.post(`/v1/transfers/${id}/post`, { amount: '1' }, { 'Idempotency-Key': `post-${id}` })
    expect(again.status).toBe(201)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.text).toBe(first.text)
    expectProblem(await api.post(`/v1/transfers/${id}/post`, { amount: '2' }, { 'Idempotency-Key': `post-${id}` }), 422, 'IDEMPOTENCY_KEY_REUSED')
  })

  it('lists the pending transfer and its post in the history of both accounts', async () => {
    const id = await reserve('3')
    const post = (await api.post(`/v1/transfers/${id}/post`, {})).body.transfer_id
    const items = (await api.get('/v1/accounts/12/transfers?limit=2')).body.items
    expect(items.map((item: any) => [item.transfer_id, item.status, item.pending_transfer_id, item.direction])).toEqual([
      [post, 'posted', id, 'incoming'],
      [id, 'posted', null, 'incoming'],
    ])
  })

  it('lets a key resolve only what it may debit (403), and hides what it cannot see (404)', async () => {
    const id = await reserve('1')
    const bounded = client(service.baseUrl, (await createKey(service.databaseUrl, { scopes: new Set(['transfers:write', 'transfers:read']), accounts: parseAccountRanges('12') })).text)
    const stranger = client(service.baseUrl, (await createKey(service.databaseUrl, { scopes: new Set(['transfers:write']), accounts: parseAccountRanges('999') })).text)
    expectProblem(await bounded.post(`/v1/transfers/${id}/post`, {}), 403, 'ACCOUNT_FORBIDDEN')
    expectProblem(await stranger.post(`/v1/transfers/${id}/void`, {}), 404, 'TRANSFER_NOT_FOUND')
    expect((await api.get(`/v1/transfers/${id}`)).body.status).toBe('pending')
  })
})

describe('expiry', () => {
  it('refuses a post after the timeout even though no sweep has run, and the reservation still shows until one does', async () => {
    await api.createAccount(21, '10')
    await api.createAccount(22, '0')
    const id = (await api.post('/v1/transfers', pending(21, 22, '4', { timeout_s: 1 }))).body.transfer_id
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expectProblem(await api.post(`/v1/transfers/${id}/post`, {}), 409, 'TRANSFER_EXPIRED')
    expectProblem(await api.post(`/v1/transfers/${id}/void`, {}), 409, 'TRANSFER_EXPIRED')
    expect((await api.get(`/v1/transfers/${id}`)).body.status).toBe('pending')
    expect(await account(api, 21)).toEqual({ balance: '10', pending_debits: '4', pending_credits: '0', available: '6' })
  })

  it('is swept in the background: the transfer shows expired and both accounts are released', async () => {
    const other = client(sweeping)
    await other.createAccount(31, '10')
    await other.createAccount(32, '0')
    const id = (await other.post('/v1/transfers', pending(31, 32, '4', { timeout_s: 1 }))).body.transfer_id
    const kept = (await other.post('/v1/transfers', pending(31, 32, '5', { timeout_s: 600 }))).body.transfer_id
    await until(async () => (await other.get(`/v1/transfers/${id}`)).body.status === 'expired', 'the sweep')
    expect(await account(other, 31)).toEqual({ balance: '10', pending_debits: '5', pending_credits: '0', available: '5' })
    expect(await account(other, 32)).toEqual({ balance: '0', pending_debits: '0', pending_credits: '5', available: '0' })
    expectProblem(await other.post(`/v1/transfers/${id}/post`, {}), 409, 'TRANSFER_EXPIRED')
    expect((await other.post(`/v1/transfers/${kept}/post`, {})).status).toBe(201)
  })
})
