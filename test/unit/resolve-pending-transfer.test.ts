import { beforeEach, describe, expect, it } from 'vitest'
import { expirePendingTransfers } from '../../src/app/expire-pending-transfers.js'
import { resolvePendingTransfer } from '../../src/app/resolve-pending-transfer.js'
import { transferFunds } from '../../src/app/transfer-funds.js'
import { openedAccount } from '../../src/domain/account.js'
import { TransferExpired, TransferNotFound } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { type TestLedger, testLedger } from './fakes/test-ledger.js'

const money = (text: string) => Money.parse(text)!
const NOW = new Date('2026-11-22T10:00:00.000Z')
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000)

describe('pending transfers through the write path', () => {
  let t: TestLedger
  let n = 0
  const ids = { next: () => `id-${++n}` }
  const state = (id: number) => {
    const a = t.store.accounts.get(id)
    return a && `${a.balance}/${a.pendingDebits}/${a.pendingCredits}`
  }
  const reserve = async (amount: string, timeoutS: number) => {
    const result = await transferFunds({ ledger: t.ledger, ids })({ sourceAccountId: 1, destinationAccountId: 2, amount: money(amount), pending: { timeoutS } })
    if (result.kind !== 'done') throw new Error('no key, no replay')
    return result.value.transfer
  }
  const resolve = () => resolvePendingTransfer({ ledger: t.ledger, transfers: t.store.transferRecords, ids })
  const sweep = (batchSize = 2, maxBatches = 20) => expirePendingTransfers({ ledger: t.ledger, transfers: t.store.transferRecords, clock: t.clock, batchSize, maxBatches })()

  beforeEach(() => {
    t = testLedger()
    t.clock.set(NOW)
    t.store.seed(openedAccount(1, money('100')))
    t.store.seed(openedAccount(2, money('0')))
  })

  it('reserves, then posts part: the record names the pending transfer, which shows posted, and the cache has both accounts', async () => {
    const pending = await reserve('40', 60)
    expect(state(1)).toBe('100/40/0')
    const result = await resolve()({ action: 'post', pendingTransferId: pending.id, amount: money('25') })
    if (result.kind !== 'done') throw new Error('no key, no replay')
    expect(result.value.transfer).toMatchObject({ status: 'posted', pendingTransferId: pending.id, amount: money('25') })
    expect(t.store.transfers.find((row) => row.id === pending.id)?.status).toBe('posted')
    expect([state(1), state(2)]).toEqual(['75/0/0', '25/0/0'])
    expect((await t.cache.get(1))?.version).toBe(2)
  })

  it('asks the edge whether the caller may resolve it before anything changes, and refuses an unknown id', async () => {
    const pending = await reserve('40', 60)
    const forbidden = new Error('forbidden')
    await expect(resolve()({ action: 'void', pendingTransferId: pending.id, authorize: () => { throw forbidden } })).rejects.toBe(forbidden)
    expect(state(1)).toBe('100/40/0')
    await expect(resolve()({ action: 'void', pendingTransferId: 'missing' })).rejects.toEqual(new TransferNotFound('missing'))
  })

  it('refuses a post past the timeout although no sweep ran; the sweep then releases it, in bounded batches', async () => {
    const [a, b, c] = [await reserve('10', 5), await reserve('10', 5), await reserve('10', 500)]
    t.clock.set(at(5))
    await expect(resolve()({ action: 'post', pendingTransferId: a.id })).rejects.toEqual(new TransferExpired(a.id))
    expect(state(1)).toBe('100/30/0')
    expect(await sweep(1, 1)).toBe(1)
    expect(await sweep(1, 5)).toBe(1)
    expect(await sweep()).toBe(0)
    expect(t.store.transfers.filter((row) => row.expiresAt !== null).map((row) => [row.id, row.status])).toEqual([
      [a.id, 'expired'],
      [b.id, 'expired'],
      [c.id, 'pending'],
    ])
    expect([state(1), state(2)]).toEqual(['100/10/0', '0/0/10'])
  })

  it('leaves alone a pending transfer posted between the listing and the expiry', async () => {
    const pending = await reserve('10', 5)
    await resolve()({ action: 'post', pendingTransferId: pending.id })
    t.clock.set(at(10))
    const listed = { ...t.store.transferRecords, listExpired: async () => [{ ...pending }] }
    const expired = await expirePendingTransfers({ ledger: t.ledger, transfers: listed, clock: t.clock, batchSize: 10, maxBatches: 1 })()
    expect(expired).toBe(0)
    expect([state(1), state(2)]).toEqual(['90/0/0', '10/0/0'])
  })
})
