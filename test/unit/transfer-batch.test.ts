import { describe, expect, it } from 'vitest'
import { transferBatch } from '../../src/app/transfer-batch.js'
import { type Account, openedAccount } from '../../src/domain/account.js'
import { applyBatch, type Command, type PendingTransferCommand, type TransferCommand } from '../../src/domain/batch.js'
import { BatchItemRefused, InsufficientFunds, SameAccount } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { testLedger } from './fakes/test-ledger.js'

const money = (text: string) => Money.parse(text)!
const AT = new Date('2026-11-22T10:00:00.000Z')
const accounts = (...list: [number, string][]) => new Map<number, Account>(list.map(([id, balance]) => [id, openedAccount(id, money(balance))]))
let n = 0
const move = (from: number, to: number, amount: string): TransferCommand => ({ kind: 'transfer', transferId: `t-${++n}`, sourceAccountId: from, destinationAccountId: to, amount: money(amount) })
const hold = (from: number, to: number, amount: string): PendingTransferCommand => ({ ...move(from, to, amount), kind: 'pending-transfer', timeoutS: 60 })
const batch = (atomic: boolean, ...items: (TransferCommand | PendingTransferCommand)[]): Command => ({ kind: 'transfer-batch', atomic, items })
const finals = (result: ReturnType<typeof applyBatch>) =>
  Object.fromEntries(result.changes.map(({ after }) => [after.id, `${after.balance}/${after.pendingDebits}/${after.pendingCredits}`]))

describe('a batch of transfers in the domain', () => {
  it('atomic: applies every item in order, each seeing the balances the ones before it left', () => {
    const result = applyBatch(accounts([1, '10'], [2, '0'], [3, '0']), [batch(true, move(1, 2, '10'), move(2, 3, '4'), hold(2, 3, '6'))], AT)
    expect(result.outcomes[0]).toMatchObject({ kind: 'batch-applied', atomic: true, outcomes: [{ kind: 'transferred' }, { kind: 'transferred' }, { kind: 'reserved' }] })
    expect(finals(result)).toEqual({ 1: '0/0/0', 2: '6/6/0', 3: '4/0/6' })
  })

  it('atomic with a poison item: refused as a whole, naming the item, and nothing of it is left, while the commands around it apply', () => {
    const locked = accounts([1, '10'], [2, '0'], [3, '5'])
    const result = applyBatch(locked, [move(3, 2, '1'), batch(true, move(1, 2, '4'), hold(1, 3, '2'), move(1, 2, '5')), move(3, 1, '1')], AT)
    expect(result.outcomes[1]).toEqual({ kind: 'refused', error: new BatchItemRefused(2, new InsufficientFunds(1)) })
    expect(finals(result)).toEqual({ 1: '11/0/0', 2: '1/0/0', 3: '3/0/0' })
  })

  it('atomic: a refused item undoes even the accounts only the items before it touched', () => {
    const result = applyBatch(accounts([1, '10'], [2, '0'], [4, '0']), [batch(true, move(1, 4, '1'), move(2, 2, '1'))], AT)
    expect(result.outcomes[0]).toEqual({ kind: 'refused', error: new BatchItemRefused(1, new SameAccount(2)) })
    expect(result.changes).toEqual([])
  })

  it('not atomic: one outcome per item, in order, each applied or refused on its own', () => {
    const result = applyBatch(accounts([1, '10'], [2, '0']), [batch(false, move(1, 2, '4'), move(1, 2, '7'), move(1, 2, '6'), move(1, 9, '1'))], AT)
    const outcome = result.outcomes[0]
    if (outcome?.kind !== 'batch-applied') throw new Error('not applied')
    expect(outcome.outcomes.map((o) => (o.kind === 'refused' ? o.error.code : o.kind))).toEqual(['transferred', 'INSUFFICIENT_FUNDS', 'transferred', 'ACCOUNT_NOT_FOUND'])
    expect(finals(result)).toEqual({ 1: '0/0/0', 2: '10/0/0' })
  })
})

describe('transferBatch through the write path', () => {
  it('keeps the items of a request together in one transaction, and writes every record it applied', async () => {
    const t = testLedger()
    t.store.seed(openedAccount(1, money('100')))
    t.store.seed(openedAccount(2, money('0')))
    let id = 0
    const run = transferBatch({ ledger: t.ledger, ids: { next: () => `id-${++id}` } })
    const items = Array.from({ length: 5 }, () => ({ sourceAccountId: 1, destinationAccountId: 2, amount: money('3') }))
    const before = t.store.transactions
    const result = await run({ items, atomic: false })
    expect(t.store.transactions - before).toBe(1)
    expect(result.kind === 'done' && result.value.outcomes.map((o) => o.kind)).toEqual(Array(5).fill('transferred'))
    expect(t.store.transfers.map((transfer) => transfer.id)).toEqual(['id-1', 'id-2', 'id-3', 'id-4', 'id-5'])
    await expect(run({ items: [...items, { ...items[0]!, amount: money('1000') }], atomic: true })).rejects.toEqual(new BatchItemRefused(5, new InsufficientFunds(1)))
    expect(t.store.accounts.get(1)?.balance.toString()).toBe('85')
    await expect(run({ items: [], atomic: true })).rejects.toThrow(RangeError)
  })
})
