import { describe, expect, it } from 'vitest'
import { getAccount } from '../../src/app/get-account.js'
import type { Account, AccountId } from '../../src/domain/account.js'
import { AccountNotFound } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { InMemoryAccountCache } from './fakes/in-memory-account-cache.js'
import type { AccountRecords } from '../../src/ports/account-records.js'

/** Committed accounts that counts its reads and can hold them until released, to make concurrency deterministic. */
class GatedStore implements AccountRecords {
  private readonly accounts = new Map<AccountId, Account>()
  reads = 0
  private gate: Promise<void> = Promise.resolve()
  private open: () => void = () => {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve))
  }

  release(): void {
    this.open()
  }

  seed(account: Account): void {
    this.accounts.set(account.id, account)
  }

  async find(id: AccountId): Promise<Account | undefined> {
    this.reads++
    const account = this.accounts.get(id)
    await this.gate
    return account
  }
}

const account = (id: number, balance: string, version = 0): Account => ({ id, balance: Money.parse(balance)!, pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version })

describe('getAccount', () => {
  it('answers from the cache without reading the store', async () => {
    const accounts = new GatedStore()
    const cache = new InMemoryAccountCache()
    accounts.seed(account(1, '5'))
    cache.entries.set(1, account(1, '5'))
    expect((await getAccount({ accounts, cache })(1)).balance.toString()).toBe('5')
    expect(accounts.reads).toBe(0)
  })

  it('fills the cache on a miss', async () => {
    const accounts = new GatedStore()
    const cache = new InMemoryAccountCache()
    accounts.seed(account(1, '5', 3))
    await getAccount({ accounts, cache })(1)
    expect(cache.entries.get(1)?.version).toBe(3)
    await getAccount({ accounts, cache })(1)
    expect(accounts.reads).toBe(1)
  })

  it('coalesces concurrent misses of one account into one store read', async () => {
    const accounts = new GatedStore()
    const cache = new InMemoryAccountCache()
    accounts.seed(account(1, '5'))
    accounts.seed(account(2, '6'))
    const get = getAccount({ accounts, cache })
    accounts.hold()
    const readers = [...Array.from({ length: 50 }, () => get(1)), get(2)]
    await new Promise((resolve) => setTimeout(resolve, 10))
    accounts.release()
    const results = await Promise.all(readers)
    expect(results.map((a) => a.balance.toString())).toEqual([...Array(50).fill('5'), '6'])
    expect(accounts.reads).toBe(2)
  })

  it('still coalesces when the cache fails', async () => {
    const accounts = new GatedStore()
    const cache = new InMemoryAccountCache()
    cache.failing = true
    accounts.seed(account(1, '5'))
    const get = getAccount({ accounts, cache })
    accounts.hold()
    const readers = Array.from({ length: 20 }, () => get(1))
    accounts.release()
    await Promise.all(readers)
    expect(accounts.reads).toBe(1)
  })

  it('does not let a slow fill replace a newer cached balance', async () => {
    const accounts = new GatedStore()
    const cache = new InMemoryAccountCache()
    accounts.seed(account(1, '5', 0))
    accounts.hold()
    const slow = getAccount({ accounts, cache })(1)
    await new Promise((resolve) => setTimeout(resolve, 5))
    await cache.put([account(1, '4', 1)]) // a transfer committed meanwhile
    accounts.release()
    await slow
    expect(cache.entries.get(1)).toMatchObject({ version: 1 })
  })

  it('reports an unknown account and caches nothing', async () => {
    const cache = new InMemoryAccountCache()
    await expect(getAccount({ accounts: new GatedStore(), cache })(42)).rejects.toBeInstanceOf(AccountNotFound)
    expect(cache.entries.size).toBe(0)
  })
})
