import { describe, expect, it } from 'vitest'
import type { Account, AccountId } from '../../src/domain/account.js'
import { applyBatch, type Command, type Outcome, renumbered, type TransferCommand } from '../../src/domain/batch.js'
import { AccountExists, AccountNotFound, BalanceLimitExceeded, SameAccount } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { moveMoney } from '../../src/domain/transfer.js'
import { random, units } from './fakes/reference-model.js'

const money = (text: string) => Money.parse(text)!
const AT = new Date('2026-11-22T10:00:00.000Z')
const account = (id: number, balance: string, version = 0): Account => ({ id, balance: money(balance), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version })
const accounts = (...list: Account[]) => new Map(list.map((a) => [a.id, a]))
let n = 0
const transfer = (from: number, to: number, amount: string): Command => ({
  kind: 'transfer',
  transferId: `t-${++n}`,
  sourceAccountId: from,
  destinationAccountId: to,
  amount: money(amount),
})
const open = (id: number, balance: string): Command => ({ kind: 'open-account', entryId: `e-${++n}`, accountId: id, initialBalance: money(balance) })
const kinds = (outcomes: readonly Outcome[]) => outcomes.map((o) => (o.kind === 'refused' ? o.error.code : o.kind))
const finals = (result: ReturnType<typeof applyBatch>) =>
  Object.fromEntries(result.changes.map(({ after }) => [after.id, `${after.version}:${after.balance.toString()}`]))

describe('applyBatch', () => {
  it('records the key that asked: on the transfer, and on an account it opens, through later changes in the batch', () => {
    const result = applyBatch(
      accounts(account(1, '10')),
      [{ ...open(2, '0'), createdBy: 'opener' } as Command, { ...transfer(1, 2, '3'), createdBy: 'payer' } as Command, transfer(1, 2, '1')],
      AT,
    )
    const transfers = result.outcomes.flatMap((outcome) => (outcome.kind === 'transferred' ? [outcome.transfer.createdBy] : []))
    expect(transfers).toEqual(['payer', null])
    expect(Object.fromEntries(result.changes.map((change) => [change.after.id, change.createdBy]))).toEqual({ 1: undefined, 2: 'opener' })
  })

  it('applies commands in order, each on the balances the ones before it left', async () => {
    // 2 has nothing until the first transfer credits it.
    const result = applyBatch(accounts(account(1, '10'), account(2, '0'), account(3, '0')), [transfer(1, 2, '10'), transfer(2, 3, '4')], AT)
    expect(kinds(result.outcomes)).toEqual(['transferred', 'transferred'])
    expect(finals(result)).toEqual({ 1: '1:0', 2: '2:6', 3: '1:4' })
  })

  it('refuses a command without changing anything, and the next one sees the balances untouched', () => {
    const result = applyBatch(accounts(account(1, '10'), account(2, '0')), [transfer(1, 2, '11'), transfer(1, 2, '10')], AT)
    expect(kinds(result.outcomes)).toEqual(['INSUFFICIENT_FUNDS', 'transferred'])
    expect(finals(result)).toEqual({ 1: '1:0', 2: '1:10' })
  })

  it('reports each account once, as locked and as the batch leaves it', () => {
    const locked = accounts(account(1, '10', 7), account(2, '0', 3))
    const result = applyBatch(locked, [transfer(1, 2, '1'), transfer(2, 1, '1'), transfer(1, 2, '2')], AT)
    expect(result.changes).toEqual([
      { before: locked.get(1), after: account(1, '8', 10) },
      { before: locked.get(2), after: account(2, '2', 6) },
    ])
  })

  it('gives every applied transfer the accounts as it left them, stamped with the batch time', () => {
    const result = applyBatch(accounts(account(1, '10'), account(2, '0')), [transfer(1, 2, '3'), transfer(1, 2, '4')], AT)
    const [first, second] = result.outcomes
    expect(first).toMatchObject({ kind: 'transferred', source: account(1, '7', 1), destination: account(2, '3', 1) })
    expect(second).toMatchObject({ kind: 'transferred', source: account(1, '3', 2), destination: account(2, '7', 2) })
    expect(first?.kind === 'transferred' && first.transfer).toMatchObject({ sourceAccountId: 1, destinationAccountId: 2, createdAt: AT })
  })

  it('is, for a list of one, the single transfer', () => {
    const [source, destination] = [account(1, '500', 4), account(2, '1.5', 9)]
    const result = applyBatch(accounts(source, destination), [transfer(1, 2, '150.25')], AT)
    const single = moveMoney(source, destination, money('150.25'))
    expect(result.outcomes[0]).toMatchObject({ kind: 'transferred', ...single })
  })

  it('opens an account that later commands of the same batch can use, and refuses one that exists', () => {
    const result = applyBatch(accounts(account(1, '10')), [open(2, '5'), transfer(2, 1, '5'), open(1, '99'), open(2, '1')], AT)
    expect(kinds(result.outcomes)).toEqual(['account-opened', 'transferred', 'ACCOUNT_EXISTS', 'ACCOUNT_EXISTS'])
    expect(result.changes.find((change) => change.after.id === 2)).toEqual({ before: undefined, after: account(2, '0', 1) })
    expect(result.outcomes[2]).toEqual({ kind: 'refused', error: new AccountExists(1) })
  })

  it('names the missing account, source first, and refuses the same account and a credit past the limit', () => {
    const max = '99999999999999999999.999999999999999999'
    const result = applyBatch(
      accounts(account(1, '10'), account(2, max)),
      [transfer(7, 8, '1'), transfer(1, 8, '1'), transfer(1, 1, '1'), transfer(1, 2, '0.000000000000000001')],
      AT,
    )
    expect(result.outcomes.map((o) => o.kind === 'refused' && o.error)).toEqual([
      new AccountNotFound(7),
      new AccountNotFound(8),
      new SameAccount(1),
      new BalanceLimitExceeded(2),
    ])
    expect(result.changes).toEqual([])
  })
})

describe('applyBatch against a reference model', () => {
  // Balances in integer units of 10^-18 with BigInt: a model that shares no code with Money.
  const LIMIT = 10n ** 20n * 10n ** 18n - 1n

  it.each(Array.from({ length: 100 }, (_, i) => i + 1))('matches the model on random batch %i', (seed) => {
    const next = random(seed)
    const pick = (k: number) => Math.floor(next() * k)
    const amount = () => `${pick(60)}.${String(pick(1000)).padStart(3, '0')}${pick(2) ? '000000000000001' : ''}`
    const locked = new Map<AccountId, Account>()
    const model = new Map<AccountId, { balance: bigint; version: number }>()
    for (let id = 1; id <= 6; id++) {
      const balance = amount()
      locked.set(id, account(id, balance, pick(5)))
      model.set(id, { balance: units(balance), version: locked.get(id)?.version ?? 0 })
    }
    const commands: Command[] = Array.from({ length: 40 }, () =>
      pick(10) === 0 ? open(1 + pick(9), amount()) : transfer(1 + pick(8), 1 + pick(8), pick(6) === 0 ? '0.000000000000000001' : amount()),
    )

    const result = applyBatch(locked, commands, AT)

    const expected = commands.map((command) => {
      if (command.kind === 'open-account') {
        if (model.has(command.accountId)) return 'ACCOUNT_EXISTS'
        model.set(command.accountId, { balance: units(command.initialBalance.toString()), version: 0 })
        return 'account-opened'
      }
      if (command.kind !== 'transfer') throw new Error('this model knows plain transfers only')
      const source = model.get(command.sourceAccountId)
      const destination = model.get(command.destinationAccountId)
      if (!source || !destination) return 'ACCOUNT_NOT_FOUND'
      if (command.sourceAccountId === command.destinationAccountId) return 'SAME_ACCOUNT'
      const value = units(command.amount.toString())
      if (value === 0n) return 'INVALID_AMOUNT'
      if (source.balance < value) return 'INSUFFICIENT_FUNDS'
      if (destination.balance + value > LIMIT) return 'BALANCE_LIMIT_EXCEEDED'
      source.balance -= value
      destination.balance += value
      source.version++
      destination.version++
      return 'transferred'
    })
    expect(kinds(result.outcomes)).toEqual(expected)
    for (const { after } of result.changes) {
      expect(units(after.balance.toString()), `account ${after.id}`).toBe(model.get(after.id)?.balance)
      expect(after.version, `account ${after.id}`).toBe(model.get(after.id)?.version)
    }
    // Money is conserved: the batch only moves it, and opens accounts with what they bring.
    const opened = result.outcomes.flatMap((o) => (o.kind === 'account-opened' ? [units(o.account.balance.toString())] : []))
    const before = [...locked.values()].reduce((sum, a) => sum + units(a.balance.toString()), 0n)
    const after = [...model.values()].reduce((sum, a) => sum + a.balance, 0n)
    expect(after).toBe(before + opened.reduce((sum, value) => sum + value, 0n))
  })
})

describe('renumbered', () => {
  it('gives each record a command makes a new id, in the order it makes them, and leaves the command otherwise as it was', () => {
    let next = 0
    const id = () => `new-${++next}`
    const items = [transfer(1, 2, '1'), transfer(2, 1, '2')] as TransferCommand[]
    const commands: Command[] = [
      open(7, '5'),
      transfer(1, 2, '3'),
      { kind: 'transfer-batch', atomic: true, items },
      { kind: 'expire-pending', pendingTransferId: 'p-1', sourceAccountId: 1, destinationAccountId: 2 },
      { kind: 'void-pending', transferId: 'old', pendingTransferId: 'p-2', sourceAccountId: 1, destinationAccountId: 2 },
    ]
    const [opened, moved, batch, expire, voided] = commands.map((command) => renumbered(command, id))
    expect(opened).toEqual({ ...commands[0], entryId: 'new-1' })
    expect(moved).toEqual({ ...commands[1], transferId: 'new-2' })
    expect(batch).toEqual({ kind: 'transfer-batch', atomic: true, items: [{ ...items[0], transferId: 'new-3' }, { ...items[1], transferId: 'new-4' }] })
    expect(expire).toBe(commands[3])
    expect(voided).toEqual({ ...commands[4], transferId: 'new-5' })
  })
})
