import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAccountRanges } from '../../src/domain/access.js'
import { client, createKey, freshDatabaseUrl, type Reply, type RunningService, startService } from './support/service.js'

// POST /v1/transfers/batch over real HTTP and MariaDB: atomic and not, a poison item, limits, keys.

let service: RunningService
let api: ReturnType<typeof client>

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('batch') })
  api = client(service)
  for (const [id, balance] of [
    [1, '100'],
    [2, '0'],
    [3, '50'],
  ] as const) {
    await api.createAccount(id, balance)
  }
})
afterAll(() => service?.stop())

const item = (from: number, to: number, amount: string, extra: Record<string, unknown> = {}) => ({ source_account_id: from, destination_account_id: to, amount, ...extra })
const send = (atomic: boolean, transfers: unknown[], headers?: Record<string, string>) => api.post('/v1/transfers/batch', { atomic, transfers }, headers)
function expectProblem(reply: Reply, status: number, code: string) {
  expect(reply.status, reply.text).toBe(status)
  expect(reply.contentType).toMatch(/^application\/problem\+json/)
  expect(reply.body).toMatchObject({ status, code })
}
const balances = async () => Promise.all([1, 2, 3].map(async (id) => (await api.get(`/v1/accounts/${id}`)).body))
const history = async (id: number) => (await api.get(`/v1/accounts/${id}/transfers?limit=200`)).body.items.length

describe('an atomic batch', () => {
  it('applies every transfer, in order, each on the balances the ones before it left: 201 with one result each', async () => {
    const reply = await send(true, [item(1, 2, '10'), item(2, 3, '10'), item(3, 1, '5', { pending: true, timeout_s: 60 })])
    expect(reply.status, reply.text).toBe(201)
    expect(reply.body.atomic).toBe(true)
    expect(reply.body.results.map((r: any) => [r.index, r.status, r.transfer.amount, r.transfer.status])).toEqual([
      [0, 201, '10', 'posted'],
      [1, 201, '10', 'posted'],
      [2, 201, '5', 'pending'],
    ])
    const [one, two, three] = await balances()
    expect([one.balance, two.balance, three.balance, three.available, one.pending_credits]).toEqual(['90', '0', '60', '55', '5'])
    expect((await api.get(`/v1/transfers/${reply.body.results[0].transfer.transfer_id}`)).status).toBe(200)
  })

  it('with a poison item changes nothing: 422 BATCH_ITEM_REFUSED names the first refused item and its code', async () => {
    const before = await balances()
    const records = await history(1)
    const reply = await send(true, [item(1, 2, '1'), item(1, 3, '2', { pending: true }), item(2, 3, '1000'), item(1, 9999, '1')])
    expectProblem(reply, 422, 'BATCH_ITEM_REFUSED')
    expect(reply.body).toMatchObject({ index: 2, item_code: 'INSUFFICIENT_FUNDS' })
    const missing = await send(true, [item(1, 2, '1'), item(1, 9999, '1')])
    expectProblem(missing, 422, 'BATCH_ITEM_REFUSED')
    expect(missing.body).toMatchObject({ index: 1, item_code: 'ACCOUNT_NOT_FOUND', account_id: 9999 })
    expect(await balances()).toEqual(before)
    expect(await history(1)).toBe(records)
  })
})

describe('a batch that is not atomic', () => {
  it('answers 200 with one result per transfer, in order, each applied or refused on its own', async () => {
    const reply = await send(false, [item(3, 2, '20'), item(2, 1, '1000'), item(3, 2, '0.5'), item(2, 2, '1'), item(2, 4242, '1')])
    expect(reply.status, reply.text).toBe(200)
    expect(reply.body.results.map((r: any) => [r.index, r.status, r.transfer?.amount ?? r.problem.code])).toEqual([
      [0, 201, '20'],
      [1, 422, 'INSUFFICIENT_FUNDS'],
      [2, 201, '0.5'],
      [3, 400, 'SAME_ACCOUNT'],
      [4, 404, 'ACCOUNT_NOT_FOUND'],
    ])
    expect(reply.body.results[4].problem.account_id).toBe(4242)
    const [, two] = await balances()
    expect(two.balance).toBe('20.5')
  })
})

describe('limits and keys', () => {
  it('takes 1000 transfers in one request, and refuses none, or 1001, with 400', async () => {
    await api.createAccount(100, '1000')
    await api.createAccount(101, '0')
    const thousand = Array.from({ length: 1000 }, () => item(100, 101, '1', { pending: true, timeout_s: 604_800 }))
    const reply = await send(true, thousand)
    expect(reply.status, reply.text.slice(0, 300)).toBe(201)
    expect(reply.body.results).toHaveLength(1000)
    expect((await api.get('/v1/accounts/100')).body).toMatchObject({ balance: '1000', pending_debits: '1000', available: '0' })
    expectProblem(await send(true, [...thousand, item(100, 101, '1')]), 400, 'VALIDATION_FAILED')
    expectProblem(await send(true, []), 400, 'VALIDATION_FAILED')
    expectProblem(await send(true, [item(1, 2, '1', { timeout_s: 5 })]), 400, 'VALIDATION_FAILED')
    expectProblem(await api.post('/v1/transfers/batch', { transfers: [item(1, 2, '1')] }), 400, 'VALIDATION_FAILED')
  })

  it('replays the whole batch under one Idempotency-Key, and applies it once', async () => {
    const before = (await api.get('/v1/accounts/2')).body.balance
    const body = [item(3, 2, '1'), item(3, 2, '2')]
    const first = await send(false, body, { 'Idempotency-Key': 'payroll-2026-11' })
    const again = await send(false, body, { 'Idempotency-Key': 'payroll-2026-11' })
    expect([first.status, again.status]).toEqual([200, 200])
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.text).toBe(first.text)
    expect((await api.get('/v1/accounts/2')).body.balance).toBe(String(Number(before) + 3))
    expectProblem(await send(false, [item(3, 2, '1')], { 'Idempotency-Key': 'payroll-2026-11' }), 422, 'IDEMPOTENCY_KEY_REUSED')
    const refused = await send(true, [item(2, 3, '100000')], { 'Idempotency-Key': 'poison-1' })
    expect((await send(true, [item(2, 3, '100000')], { 'Idempotency-Key': 'poison-1' })).text).toBe(refused.text)
  })

  it('refuses the whole batch with 403 when the key may not debit one of its sources', async () => {
    const bounded = client(service.baseUrl, (await createKey(service.databaseUrl, { scopes: new Set(['transfers:write']), accounts: parseAccountRanges('1') })).text)
    const before = await balances()
    expectProblem(await bounded.post('/v1/transfers/batch', { atomic: false, transfers: [item(1, 2, '1'), item(3, 1, '1')] }), 403, 'ACCOUNT_FORBIDDEN')
    expect(await balances()).toEqual(before)
  })

  it('shares transactions with the requests around it, and every cent adds up', async () => {
    await api.createAccount(200, '300')
    await api.createAccount(201, '0')
    const requests = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0 ? send(i % 2 === 0, Array.from({ length: 5 }, () => item(200, 201, '2'))) : api.transfer(200, 201, '1'),
    )
    const replies = await Promise.all(requests)
    expect(replies.map((r) => r.status).filter((status) => status >= 300)).toEqual([])
    // 10 batches of 5 × 2 and 20 transfers of 1.
    expect((await api.get('/v1/accounts/201')).body.balance).toBe('120')
    expect((await api.get('/v1/accounts/200')).body.balance).toBe('180')
  })
})
