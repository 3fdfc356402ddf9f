import { describe, expect, it } from 'vitest'
import { getBalanceAt } from '../../src/app/get-balance-at.js'
import { type Account, openedAccount } from '../../src/domain/account.js'
import { applyBatch, type Command } from '../../src/domain/batch.js'
import { AccountNotFound } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { balanceAfter, movesMoney, type Transfer } from '../../src/domain/transfer.js'
import { testLedger } from './fakes/test-ledger.js'

const money = (text: string) => Money.parse(text)!
const AT = new Date('2026-11-22T10:00:00.000Z')
let n = 0
const move = (from: number, to: number, amount: string, pending = false): Command =>
  pending
    ? { kind: 'pending-transfer', transferId: `t-${++n}`, sourceAccountId: from, destinationAccountId: to, amount: money(amount), timeoutS: 60 }
    : { kind: 'transfer', transferId: `t-${++n}`, sourceAccountId: from, destinationAccountId: to, amount: money(amount) }
const records = (result: ReturnType<typeof applyBatch>): Transfer[] =>
  result.outcomes.flatMap((o) => (o.kind === 'account-opened' ? [o.entry] : 'transfer' in o ? [o.transfer] : []))

describe('balances kept with every record', () => {
  it('keeps the posted balances each record left on both accounts; a reservation leaves them as they were', () => {
    const locked = new Map<number, Account>([[1, openedAccount(1, money('10'))]])
    const result = applyBatch(locked, [{ kind: 'open-account', entryId: 'e-2', accountId: 2, initialBalance: money('5') }, move(1, 2, '3'), move(2, 1, '8'), move(1, 2, '4', true)], AT)
    const of = (t: Transfer, id: number) => (t.sourceAccountId === id || t.destinationAccountId === id ? balanceAfter(t, id)?.toString() : '-')
    expect(records(result).map((t) => [t.status, of(t, 1), of(t, 2)])).toEqual([
      ['opening', '-', '5'],
      ['posted', '7', '8'],
      ['posted', '15', '0'],
      ['pending', '15', '0'],
    ])
  })

  it('makes every balance the sum of its entries: the opening entry plus what moved in less what moved out', () => {
    const result = applyBatch(new Map(), [
      { kind: 'open-account', entryId: 'e-1', accountId: 1, initialBalance: money('10') },
      { kind: 'open-account', entryId: 'e-2', accountId: 2, initialBalance: money('0') },
      move(1, 2, '3'),
      move(2, 1, '1'),
      move(1, 2, '2', true),
    ], AT)
    const all = records(result)
    for (const { after } of result.changes) {
      const sum = all.reduce((total, t) => {
        if (t.status === 'opening') return t.destinationAccountId === after.id ? total + Number(t.amount.toString()) : total
        if (!movesMoney(t)) return total
        if (t.destinationAccountId === after.id) return total + Number(t.amount.toString())
        return t.sourceAccountId === after.id ? total - Number(t.amount.toString()) : total
      }, 0)
      expect(String(sum), `account ${after.id}`).toBe(after.balance.toString())
    }
  })
})

describe('getBalanceAt', () => {
  it('answers what the last record at or before the instant left, and 404 before the account existed', async () => {
    const t = testLedger()
    t.clock.set(AT)
    await t.ledger({ kind: 'open-account', entryId: 'e-1', accountId: 1, initialBalance: money('10') })
    await t.ledger({ kind: 'open-account', entryId: 'e-2', accountId: 2, initialBalance: money('0') })
    t.clock.set(new Date(AT.getTime() + 1000))
    await t.ledger(move(1, 2, '4'))
    const at = getBalanceAt({ transfers: t.store.transferRecords })
    expect((await at(1, AT)).balance.toString()).toBe('10')
    expect((await at(1, new Date(AT.getTime() + 999))).balance.toString()).toBe('10')
    expect((await at(1, new Date(AT.getTime() + 1000))).balance.toString()).toBe('6')
    expect((await at(2, new Date(AT.getTime() + 5000))).balance.toString()).toBe('4')
    await expect(at(1, new Date(AT.getTime() - 1))).rejects.toEqual(new AccountNotFound(1))
  })
})
