import { beforeEach, describe, expect, it } from 'vitest'
import { type TransferFundsInput, type TransferFundsResult, transferFunds } from '../../src/app/transfer-funds.js'
import type { AccountId } from '../../src/domain/account.js'
import { AccountNotFound, BalanceLimitExceeded, InsufficientFunds, InvalidAmount, SameAccount } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { type TestLedger, testLedger } from './fakes/test-ledger.js'

const money = (text: string): Money => Money.parse(text) ?? Money.ZERO
const NOW = new Date('2026-11-22T10:00:00.000Z')

describe('transferFunds', () => {
  let t: TestLedger
  let transfer: (input: TransferFundsInput) => Promise<TransferFundsResult>
  const balanceOf = (id: AccountId) => t.store.accounts.get(id)?.balance.toString()

  beforeEach(() => {
    t = testLedger()
    t.clock.set(NOW)
    let n = 0
    const run = transferFunds({ ledger: t.ledger, ids: { next: () => `id-${++n}` } })
    transfer = async (input) => {
      const result = await run(input)
      if (result.kind !== 'done') throw new Error('no key was given, so nothing can be replayed')
      return result.value
    }
    t.store.seed({ id: 1001, balance: money('500'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 })
    t.store.seed({ id: 2002, balance: money('0'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 })
  })

  it('moves money and records the transfer (the seed flow)', async () => {
    const result = await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('150') })
    expect(result.transfer).toEqual({ id: 'id-1', sourceAccountId: 1001, destinationAccountId: 2002, amount: money('150'), createdAt: NOW, createdBy: null, status: 'posted', expiresAt: null, pendingTransferId: null, sourceBalanceAfter: money('350'), destinationBalanceAfter: money('150') })
    expect(balanceOf(1001)).toBe('350')
    expect(balanceOf(2002)).toBe('150')
    expect(t.store.transfers).toEqual([result.transfer])
  })

  it('raises both versions by one and returns the accounts as the transfer left them', async () => {
    const { accounts } = await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('1') })
    expect(accounts.map((a) => [a.id, a.balance.toString(), a.version])).toEqual([
      [1001, '499', 1],
      [2002, '1', 1],
    ])
    expect(t.store.accounts.get(1001)?.version).toBe(1)
  })

  it('refreshes both accounts in the cache in one write after the commit', async () => {
    const { accounts } = await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('1') })
    expect(t.cache.puts).toEqual([[...accounts]])
    expect(t.cache.entries.get(2002)?.balance.toString()).toBe('1')
  })

  it('may empty an account exactly', async () => {
    await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('500') })
    expect(balanceOf(1001)).toBe('0')
  })

  it('refuses to overdraw and changes nothing', async () => {
    await expect(
      transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('500.000000000000000001') }),
    ).rejects.toBeInstanceOf(InsufficientFunds)
    expect([balanceOf(1001), balanceOf(2002)]).toEqual(['500', '0'])
    expect(t.store.transfers).toHaveLength(0)
  })

  it('names the missing account, source first', async () => {
    await expect(transfer({ sourceAccountId: 7, destinationAccountId: 8, amount: money('1') })).rejects.toMatchObject({ accountId: 7 })
    const error = await transfer({ sourceAccountId: 1001, destinationAccountId: 3003, amount: money('1') }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AccountNotFound)
    expect(error).toMatchObject({ accountId: 3003, code: 'ACCOUNT_NOT_FOUND' })
    expect(balanceOf(1001)).toBe('500')
  })

  it('rejects a transfer to the same account, and a zero amount, before the write path', async () => {
    await expect(transfer({ sourceAccountId: 1001, destinationAccountId: 1001, amount: money('1') })).rejects.toBeInstanceOf(SameAccount)
    await expect(transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('0.000') })).rejects.toBeInstanceOf(InvalidAmount)
    expect(t.store.transactions).toBe(0)
  })

  it('refuses a credit that would not fit DECIMAL(38,18)', async () => {
    t.store.seed({ id: 3, balance: money('99999999999999999999.999999999999999999'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 })
    await expect(transfer({ sourceAccountId: 1001, destinationAccountId: 3, amount: money('0.000000000000000001') })).rejects.toBeInstanceOf(
      BalanceLimitExceeded,
    )
    expect(balanceOf(1001)).toBe('500')
  })
})
