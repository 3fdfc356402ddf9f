import { beforeEach, describe, expect, it } from 'vitest'
import { type TransferFundsInput, type TransferFundsResult, transferFunds } from '../../src/app/transfer-funds.js'
import type { AccountId } from '../../src/domain/account.js'
import {
  AccountNotFound,
  BalanceLimitExceeded,
  InsufficientFunds,
  InvalidAmount,
  SameAccount,
} from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { InMemoryAccountCache } from './fakes/in-memory-account-cache.js'
import { InMemoryAccountStore } from './fakes/in-memory-account-store.js'

const money = (text: string): Money => Money.parse(text) ?? Money.ZERO
const NOW = new Date('2026-11-22T10:00:00.000Z')

describe('transferFunds', () => {
  let store: InMemoryAccountStore
  let cache: InMemoryAccountCache
  let transfer: (input: TransferFundsInput) => Promise<TransferFundsResult>
  let now: Date
  const balanceOf = (id: AccountId) => store.accounts.get(id)?.balance.toString()

  beforeEach(async () => {
    store = new InMemoryAccountStore()
    cache = new InMemoryAccountCache()
    let n = 0
    now = NOW
    const run = transferFunds({
      accounts: store,
      records: store.records,
      cache,
      ids: { next: () => `id-${++n}` },
      clock: { now: () => now },
      retentionMs: 86_400_000,
    })
    transfer = async (input) => {
      const result = await run(input)
      if (result.kind !== 'done') throw new Error('no key was given, so nothing can be replayed')
      return result.value
    }
    store.seed({ id: 1001, balance: money('500'), version: 0 })
    store.seed({ id: 2002, balance: money('0'), version: 0 })
  })

  it('moves money and records the transfer (the seed flow)', async () => {
    const result = await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('150') })
    expect(result.transfer).toEqual({
      id: 'id-1',
      sourceAccountId: 1001,
      destinationAccountId: 2002,
      amount: money('150'),
      createdAt: NOW,
    })
    expect(balanceOf(1001)).toBe('350')
    expect(balanceOf(2002)).toBe('150')
    expect(store.transfers).toHaveLength(1)
  })

  it('raises both versions by one and returns the committed accounts', async () => {
    const { accounts } = await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('1') })
    expect(accounts.map((a) => [a.id, a.balance.toString(), a.version])).toEqual([
      [1001, '499', 1],
      [2002, '1', 1],
    ])
    expect(store.accounts.get(1001)?.version).toBe(1)
  })

  it('refreshes both accounts in the cache in one write after the commit', async () => {
    const { accounts } = await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('1') })
    expect(cache.puts).toEqual([accounts])
    expect(cache.entries.get(2002)?.balance.toString()).toBe('1')
  })

  it('writes nothing to the cache when the transfer is refused', async () => {
    await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('501') }).catch(() => {})
    expect(cache.puts).toEqual([])
  })

  it('may empty an account exactly', async () => {
    await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('500') })
    expect(balanceOf(1001)).toBe('0')
  })

  it('refuses to overdraw and changes nothing', async () => {
    await expect(
      transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('500.000000000000000001') }),
    ).rejects.toBeInstanceOf(InsufficientFunds)
    expect(balanceOf(1001)).toBe('500')
    expect(balanceOf(2002)).toBe('0')
    expect(store.transfers).toHaveLength(0)
  })

  it('names the missing account, source first', async () => {
    await expect(transfer({ sourceAccountId: 7, destinationAccountId: 8, amount: money('1') })).rejects.toMatchObject(
      { accountId: 7 },
    )
    const error = await transfer({ sourceAccountId: 1001, destinationAccountId: 3003, amount: money('1') }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(AccountNotFound)
    expect(error).toMatchObject({ accountId: 3003, code: 'ACCOUNT_NOT_FOUND' })
    expect(balanceOf(1001)).toBe('500')
  })

  it('rejects a transfer to the same account before touching the store', async () => {
    await expect(
      transfer({ sourceAccountId: 1001, destinationAccountId: 1001, amount: money('1') }),
    ).rejects.toBeInstanceOf(SameAccount)
  })

  it('rejects a zero amount', async () => {
    await expect(
      transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('0.000') }),
    ).rejects.toBeInstanceOf(InvalidAmount)
  })

  it('refuses a credit that would not fit DECIMAL(38,18)', async () => {
    store.seed({ id: 3, balance: money('99999999999999999999.999999999999999999'), version: 0 })
    await expect(
      transfer({ sourceAccountId: 1001, destinationAccountId: 3, amount: money('0.000000000000000001') }),
    ).rejects.toBeInstanceOf(BalanceLimitExceeded)
    expect(balanceOf(1001)).toBe('500')
  })

  describe('with both accounts cached', () => {
    const cacheAs = (id: AccountId, balance: string, version: number) => cache.entries.set(id, { id, balance: money(balance), version })

    it('commits without a locking transaction when the cached copies are current', async () => {
      cacheAs(1001, '500', 0)
      cacheAs(2002, '0', 0)
      const { accounts } = await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('150') })
      expect(store.transactionsRun).toBe(0)
      expect([balanceOf(1001), balanceOf(2002)]).toEqual(['350', '150'])
      expect(store.transfers).toHaveLength(1)
      expect(cache.puts).toEqual([accounts])
    })

    it('refuses under locks, not on a copy that is behind: the source was drained since', async () => {
      store.seed({ id: 1001, balance: money('30'), version: 1 })
      cacheAs(1001, '500', 0)
      cacheAs(2002, '0', 0)
      await expect(transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('50') })).rejects.toBeInstanceOf(
        InsufficientFunds,
      )
      expect(store.transactionsRun).toBe(1)
      expect([balanceOf(1001), balanceOf(2002)]).toEqual(['30', '0'])
      expect(store.transfers).toHaveLength(0)
    })

    it('sends transfers on an account that just lost a compare-and-set straight to the locks, for 250 ms', async () => {
      // Copies one version behind: the quick attempt loses, and the locking path commits.
      store.seed({ id: 1001, balance: money('500'), version: 1 })
      cacheAs(1001, '500', 0)
      cacheAs(2002, '0', 0)
      const first = await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('1') })
      expect(store.transactionsRun).toBe(1)

      // Current copies now, but 2002 lost 249 ms ago: no quick attempt, the locks decide.
      cacheAs(1001, '499', first.accounts[0].version)
      cacheAs(2002, '1', first.accounts[1].version)
      now = new Date(NOW.getTime() + 249)
      const second = await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('1') })
      expect(store.transactionsRun).toBe(2)

      // Once the window has passed, current copies commit in one round trip again.
      cacheAs(1001, '498', second.accounts[0].version)
      cacheAs(2002, '2', second.accounts[1].version)
      now = new Date(NOW.getTime() + 500)
      await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('1') })
      expect(store.transactionsRun).toBe(2)
      expect([balanceOf(1001), balanceOf(2002)]).toEqual(['497', '3'])
    })

    it('does not refuse on a copy that is behind: the source was credited since', async () => {
      store.seed({ id: 1001, balance: money('900'), version: 1 })
      cacheAs(1001, '10', 0)
      cacheAs(2002, '0', 0)
      await transfer({ sourceAccountId: 1001, destinationAccountId: 2002, amount: money('600') })
      expect(store.transactionsRun).toBe(1)
      expect([balanceOf(1001), balanceOf(2002)]).toEqual(['300', '600'])
      expect(store.accounts.get(1001)?.version).toBe(2)
    })
  })
})
