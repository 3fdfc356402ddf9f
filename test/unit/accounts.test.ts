import { describe, expect, it } from 'vitest'
import { createAccount } from '../../src/app/create-account.js'
import { getAccount } from '../../src/app/get-account.js'
import { isAccountId } from '../../src/domain/account.js'
import { AccountExists, AccountNotFound } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { testLedger } from './fakes/test-ledger.js'

function setup() {
  const { ledger, store, cache } = testLedger()
  let n = 0
  return { store, cache, create: createAccount({ ledger, ids: { next: () => `entry-${++n}` } }), get: getAccount({ accounts: store.records, cache }) }
}

describe('createAccount and getAccount', () => {
  it('opens an account at version 0, caches it and reads it back', async () => {
    const { cache, create, get } = setup()
    const created = await create({ accountId: 1001, initialBalance: Money.parse('500')! })
    expect(created).toMatchObject({ kind: 'done', value: { id: 1001, version: 0 } })
    expect(cache.entries.get(1001)?.balance.toString()).toBe('500')
    expect((await get(1001)).balance.toString()).toBe('500')
  })

  it('records the initial balance as the opening entry of its history, zero too', async () => {
    const { store, create } = setup()
    await create({ accountId: 1001, initialBalance: Money.parse('500')! })
    await create({ accountId: 1002, initialBalance: Money.ZERO })
    expect(store.transfers.map((t) => [t.id, t.status, t.sourceAccountId, t.destinationAccountId, t.amount.toString(), t.destinationBalanceAfter?.toString()])).toEqual([
      ['entry-1', 'opening', 1001, 1001, '500', '500'],
      ['entry-2', 'opening', 1002, 1002, '0', '0'],
    ])
  })

  it('refuses a taken id', async () => {
    const { create } = setup()
    await create({ accountId: 1, initialBalance: Money.ZERO })
    await expect(create({ accountId: 1, initialBalance: Money.ZERO })).rejects.toBeInstanceOf(AccountExists)
  })

  it('reports an unknown account', async () => {
    await expect(setup().get(42)).rejects.toBeInstanceOf(AccountNotFound)
  })
})

describe('isAccountId', () => {
  it.each([1, 1001, Number.MAX_SAFE_INTEGER])('accepts %s', (id) => expect(isAccountId(id)).toBe(true))
  it.each([0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, '1', true, null])('rejects %s', (id) =>
    expect(isAccountId(id)).toBe(false),
  )
})
