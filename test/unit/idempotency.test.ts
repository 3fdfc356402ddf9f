import { beforeEach, describe, expect, it } from 'vitest'
import { IdempotencyKeyReused } from '../../src/app/errors.js'
import type { Idempotency } from '../../src/app/idempotency.js'
import { sweepIdempotencyKeys } from '../../src/app/sweep-idempotency-keys.js'
import { transferFunds } from '../../src/app/transfer-funds.js'
import type { Transferred } from '../../src/domain/batch.js'
import { AccountNotFound, InsufficientFunds } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { type TestLedger, testLedger } from './fakes/test-ledger.js'

const money = (text: string) => Money.parse(text)!
const DAY = 86_400_000

/** A key as the HTTP adapter makes one: answers rendered from the outcome. */
function claim(key: string, fingerprint: string): Idempotency<Transferred> {
  return {
    key,
    fingerprint,
    render: (outcome) =>
      outcome.kind === 'refused'
        ? { status: outcome.error.code === 'ACCOUNT_NOT_FOUND' ? 404 : 422, body: `{"code":"${outcome.error.code}"}` }
        : { status: 201, body: `{"transfer_id":"${outcome.transfer.id}"}` },
  }
}

describe('idempotent transfers', () => {
  let t: TestLedger
  let transfer: ReturnType<typeof transferFunds>

  beforeEach(() => {
    t = testLedger()
    let n = 0
    transfer = transferFunds({ ledger: t.ledger, ids: { next: () => `t-${++n}` } })
    t.store.seed({ id: 1, balance: money('100'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 })
    t.store.seed({ id: 2, balance: money('0'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 })
  })

  const request = (amount: string, idempotency?: Idempotency<Transferred>) =>
    transfer({ sourceAccountId: 1, destinationAccountId: 2, amount: money(amount), idempotency })

  it('saves the answer with the transfer and replays it without moving money again', async () => {
    const first = await request('10', claim('k1', 'f1'))
    expect(first).toMatchObject({ kind: 'done', response: { status: 201, body: '{"transfer_id":"t-1"}' } })
    const again = await request('10', claim('k1', 'f1'))
    expect(again).toEqual({ kind: 'replayed', response: { status: 201, body: '{"transfer_id":"t-1"}' } })
    expect(t.store.transfers).toHaveLength(1)
    expect(t.store.accounts.get(1)?.balance.toString()).toBe('90')
  })

  it('refuses a key reused for a different request', async () => {
    await request('10', claim('k1', 'f1'))
    await expect(request('11', claim('k1', 'f2'))).rejects.toBeInstanceOf(IdempotencyKeyReused)
    expect(t.store.transfers).toHaveLength(1)
  })

  it('saves a refusal and replays it even once the refusal no longer holds', async () => {
    await expect(request('500', claim('k2', 'f'))).rejects.toBeInstanceOf(InsufficientFunds)
    t.store.seed({ id: 1, balance: money('1000'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 1 })
    expect(await request('500', claim('k2', 'f'))).toEqual({ kind: 'replayed', response: { status: 422, body: '{"code":"INSUFFICIENT_FUNDS"}' } })
    expect(t.store.transfers).toHaveLength(0)
  })

  it('saves a 404 too: the account that appears later does not change the answer', async () => {
    const to3 = (idempotency: Idempotency<Transferred>) => transfer({ sourceAccountId: 1, destinationAccountId: 3, amount: money('1'), idempotency })
    await expect(to3(claim('k3', 'f'))).rejects.toBeInstanceOf(AccountNotFound)
    t.store.seed({ id: 3, balance: money('0'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 })
    expect(await to3(claim('k3', 'f'))).toMatchObject({ kind: 'replayed', response: { status: 404 } })
  })

  it('keeps keys for the retention period, then the sweep removes them in batches', async () => {
    for (let i = 0; i < 7; i++) await request('1', claim(`old-${i}`, 'f'))
    t.clock.set(new Date(t.clock.now().getTime() + DAY - 1))
    await request('1', claim('young', 'f'))
    const sweep = sweepIdempotencyKeys({ records: t.store.keyRecords, clock: t.clock, batchSize: 3, maxBatches: 2 })
    expect(await sweep()).toBe(0) // nothing is older than a day yet
    t.clock.set(new Date(t.clock.now().getTime() + 2))
    expect(await sweep()).toBe(6) // two batches of three, then the run stops
    expect(await sweep()).toBe(1)
    expect([...t.store.keys.keys()]).toEqual(['young'])
  })
})
