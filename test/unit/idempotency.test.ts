import { beforeEach, describe, expect, it } from 'vitest'
import { IdempotencyKeyReused } from '../../src/app/errors.js'
import type { Idempotency } from '../../src/app/idempotently.js'
import { sweepIdempotencyKeys } from '../../src/app/sweep-idempotency-keys.js'
import { type TransferFundsResult, transferFunds } from '../../src/app/transfer-funds.js'
import { AccountNotFound, InsufficientFunds } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { InMemoryAccountCache } from './fakes/in-memory-account-cache.js'
import { InMemoryAccountStore } from './fakes/in-memory-account-store.js'

const money = (text: string) => Money.parse(text)!
const DAY = 86_400_000

/** A claim as the HTTP adapter makes one: responses rendered from the outcome. */
function claim(key: string, fingerprint: string, saveRefusals = true): Idempotency<TransferFundsResult> {
  return {
    key,
    fingerprint,
    respond: ({ transfer }) => ({ status: 201, body: `{"transfer_id":"${transfer.id}"}` }),
    refuse: (error) => (saveRefusals ? { status: 422, body: `{"code":"${(error as InsufficientFunds).code}"}` } : undefined),
  }
}

describe('idempotent transfers', () => {
  let store: InMemoryAccountStore
  let now: Date
  let transfer: ReturnType<typeof transferFunds>

  beforeEach(() => {
    store = new InMemoryAccountStore()
    now = new Date('2026-11-22T10:00:00Z')
    let n = 0
    transfer = transferFunds({
      accounts: store,
      records: store.records,
      cache: new InMemoryAccountCache(),
      ids: { next: () => `t-${++n}` },
      clock: { now: () => now },
      retentionMs: DAY,
    })
    store.seed({ id: 1, balance: money('100'), version: 0 })
    store.seed({ id: 2, balance: money('0'), version: 0 })
  })

  const request = (amount: string, idempotency?: Idempotency<TransferFundsResult>) =>
    transfer({ sourceAccountId: 1, destinationAccountId: 2, amount: money(amount), idempotency })

  it('saves the response with the transfer and replays it without moving money again', async () => {
    const first = await request('10', claim('k1', 'f1'))
    expect(first).toMatchObject({ kind: 'done', response: { status: 201, body: '{"transfer_id":"t-1"}' } })
    const again = await request('10', claim('k1', 'f1'))
    expect(again).toEqual({ kind: 'replayed', response: { status: 201, body: '{"transfer_id":"t-1"}' } })
    expect(store.transfers).toHaveLength(1)
    expect(store.accounts.get(1)?.balance.toString()).toBe('90')
  })

  it('refuses a key reused for a different request', async () => {
    await request('10', claim('k1', 'f1'))
    await expect(request('11', claim('k1', 'f2'))).rejects.toBeInstanceOf(IdempotencyKeyReused)
    expect(store.transfers).toHaveLength(1)
  })

  it('saves a refusal and replays it even once the refusal no longer holds', async () => {
    await expect(request('500', claim('k2', 'f'))).rejects.toBeInstanceOf(InsufficientFunds)
    store.seed({ id: 1, balance: money('1000'), version: 1 })
    expect(await request('500', claim('k2', 'f'))).toEqual({
      kind: 'replayed',
      response: { status: 422, body: '{"code":"INSUFFICIENT_FUNDS"}' },
    })
    expect(store.transfers).toHaveLength(0)
  })

  it('does not save a refusal the caller chose not to save, so a retry can succeed', async () => {
    await expect(
      transfer({ sourceAccountId: 1, destinationAccountId: 3, amount: money('1'), idempotency: claim('k3', 'f', false) }),
    ).rejects.toBeInstanceOf(AccountNotFound)
    expect(store.keys.has('k3')).toBe(false)
    store.seed({ id: 3, balance: money('0'), version: 0 })
    expect(
      await transfer({ sourceAccountId: 1, destinationAccountId: 3, amount: money('1'), idempotency: claim('k3', 'f') }),
    ).toMatchObject({ kind: 'done' })
  })

  it('keeps keys for the retention period, then the sweep removes them in batches', async () => {
    for (let i = 0; i < 7; i++) await request('1', claim(`old-${i}`, 'f'))
    now = new Date(now.getTime() + DAY - 1)
    await request('1', claim('young', 'f'))
    const sweep = sweepIdempotencyKeys({ records: store.records, clock: { now: () => now }, batchSize: 3, maxBatches: 2 })
    expect(await sweep()).toBe(0) // nothing is older than a day yet
    now = new Date(now.getTime() + 2)
    expect(await sweep()).toBe(6) // two batches of three, then the run stops
    expect(await sweep()).toBe(1)
    expect([...store.keys.keys()]).toEqual(['young'])
  })
})
