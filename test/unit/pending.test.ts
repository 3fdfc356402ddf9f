import { describe, expect, it } from 'vitest'
import { type Account, availableOf } from '../../src/domain/account.js'
import { applyBatch, type Command, type Outcome } from '../../src/domain/batch.js'
import {
  BalanceLimitExceeded,
  InsufficientFunds,
  NotAPendingTransfer,
  PostAmountExceedsPending,
  TransferAlreadyPosted,
  TransferAlreadyVoided,
  TransferExpired,
  TransferNotDue,
  TransferNotFound,
} from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import type { Transfer } from '../../src/domain/transfer.js'
import { random, units } from './fakes/reference-model.js'

const money = (text: string) => Money.parse(text)!
const AT = new Date('2026-11-22T10:00:00.000Z')
const later = (seconds: number) => new Date(AT.getTime() + seconds * 1000)
const account = (id: number, balance: string, pendingDebits = '0', pendingCredits = '0', version = 0): Account => ({
  id,
  balance: money(balance),
  pendingDebits: money(pendingDebits),
  pendingCredits: money(pendingCredits),
  version,
})
const accounts = (...list: Account[]) => new Map(list.map((a) => [a.id, a]))
const state = (a: Account | undefined) => a && `${a.balance}/${a.pendingDebits}/${a.pendingCredits}`
const finals = (result: ReturnType<typeof applyBatch>) => Object.fromEntries(result.changes.map(({ after }) => [after.id, state(after)]))
const kinds = (outcomes: readonly Outcome[]) => outcomes.map((o) => (o.kind === 'refused' ? o.error.code : o.kind))

let n = 0
const reserve = (from: number, to: number, amount: string, timeoutS = 60): Command => ({
  kind: 'pending-transfer',
  transferId: `p-${++n}`,
  sourceAccountId: from,
  destinationAccountId: to,
  amount: money(amount),
  timeoutS,
})
const plain = (from: number, to: number, amount: string): Command => ({
  kind: 'transfer',
  transferId: `t-${++n}`,
  sourceAccountId: from,
  destinationAccountId: to,
  amount: money(amount),
})
const on = (pending: Transfer) => ({
  pendingTransferId: pending.id,
  sourceAccountId: pending.sourceAccountId,
  destinationAccountId: pending.destinationAccountId,
})
const post = (pending: Transfer, amount?: string): Command => ({
  kind: 'post-pending',
  transferId: `r-${++n}`,
  ...on(pending),
  ...(amount === undefined ? {} : { amount: money(amount) }),
})
const voiding = (pending: Transfer): Command => ({ kind: 'void-pending', transferId: `r-${++n}`, ...on(pending) })
const expire = (pending: Transfer): Command => ({ kind: 'expire-pending', ...on(pending) })

/** A pending transfer of `amount` from 1 to 2 made at AT, and the accounts as it left them. */
function reserved(amount = '30', timeoutS = 60) {
  const result = applyBatch(accounts(account(1, '100'), account(2, '5')), [reserve(1, 2, amount, timeoutS)], AT)
  const outcome = result.outcomes[0]
  if (outcome?.kind !== 'reserved') throw new Error(`not reserved: ${JSON.stringify(outcome)}`)
  return { pending: outcome.transfer, locked: accounts(outcome.source, outcome.destination), transfers: new Map([[outcome.transfer.id, outcome.transfer]]) }
}

describe('a pending transfer', () => {
  it('reserves the amount: available drops at once, posted balances stay, the destination shows a pending credit', () => {
    const { pending, locked } = reserved('30', 90)
    expect(pending).toMatchObject({ status: 'pending', expiresAt: later(90), pendingTransferId: null, amount: money('30') })
    expect(state(locked.get(1))).toBe('100/30/0')
    expect(state(locked.get(2))).toBe('5/0/30')
    expect(availableOf(locked.get(1)!).toString()).toBe('70')
    expect(locked.get(1)?.version).toBe(1)
  })

  it('judges insufficient funds on the available balance, for plain and pending transfers alike', () => {
    const { locked } = reserved('30')
    const result = applyBatch(locked, [plain(1, 2, '70.000000000000000001'), reserve(1, 2, '71'), plain(1, 2, '70')], AT)
    expect(result.outcomes.slice(0, 2).map((o) => o.kind === 'refused' && o.error)).toEqual([new InsufficientFunds(1), new InsufficientFunds(1)])
    expect(kinds(result.outcomes)[2]).toBe('transferred')
    expect(finals(result)).toEqual({ 1: '30/30/0', 2: '75/0/30' })
  })

  it('counts pending credits against the balance limit, so that no post can overflow', () => {
    const result = applyBatch(accounts(account(1, '10'), account(2, '99999999999999999999')), [reserve(1, 2, '0.999999999999999999'), plain(1, 2, '0.000000000000000001')], AT)
    expect(kinds(result.outcomes)).toEqual(['reserved', 'BALANCE_LIMIT_EXCEEDED'])
    expect(result.outcomes[1]).toEqual({ kind: 'refused', error: new BalanceLimitExceeded(2) })
  })
})

describe('posting', () => {
  it('moves the whole pending amount by default, releases the reservation and marks the pending transfer posted', () => {
    const { pending, locked, transfers } = reserved('30')
    const result = applyBatch(locked, [post(pending)], later(10), transfers)
    const outcome = result.outcomes[0]
    expect(outcome).toMatchObject({ kind: 'posted', pending: { ...pending, status: 'posted' } })
    expect(outcome?.kind === 'posted' && outcome.transfer).toMatchObject({ amount: money('30'), status: 'posted', pendingTransferId: pending.id, expiresAt: null, createdAt: later(10) })
    expect(finals(result)).toEqual({ 1: '70/0/0', 2: '35/0/0' })
    expect(result.resolved).toEqual([{ ...pending, status: 'posted' }])
  })

  it('moves a partial amount and releases the rest', () => {
    const { pending, locked, transfers } = reserved('30')
    const result = applyBatch(locked, [post(pending, '12.5')], later(10), transfers)
    expect(finals(result)).toEqual({ 1: '87.5/0/0', 2: '17.5/0/0' })
  })

  it('refuses an amount above the pending amount, and changes nothing', () => {
    const { pending, locked, transfers } = reserved('30')
    const result = applyBatch(locked, [post(pending, '30.000000000000000001')], later(10), transfers)
    expect(result.outcomes[0]).toEqual({ kind: 'refused', error: new PostAmountExceedsPending(pending.id) })
    expect(result.changes).toEqual([])
    expect(result.resolved).toEqual([])
  })

  it('refuses a late post even before any sweep, from the very instant of the timeout', () => {
    const { pending, locked, transfers } = reserved('30', 60)
    expect(kinds(applyBatch(locked, [post(pending)], new Date(later(60).getTime() - 1), transfers).outcomes)).toEqual(['posted'])
    const result = applyBatch(locked, [post(pending)], later(60), transfers)
    expect(result.outcomes[0]).toEqual({ kind: 'refused', error: new TransferExpired(pending.id) })
    expect(result.changes).toEqual([])
  })
})

describe('voiding', () => {
  it('releases the reservation and moves nothing; the record names the pending transfer', () => {
    const { pending, locked, transfers } = reserved('30')
    const result = applyBatch(locked, [voiding(pending)], later(1), transfers)
    expect(result.outcomes[0]).toMatchObject({ kind: 'voided', pending: { status: 'voided' }, transfer: { status: 'voided', pendingTransferId: pending.id, amount: money('30') } })
    expect(finals(result)).toEqual({ 1: '100/0/0', 2: '5/0/0' })
  })
})

describe('resolving twice, or what was never pending', () => {
  it('gives each second resolution its own code, within one batch as across batches', () => {
    const { pending, locked, transfers } = reserved('30')
    const posted = applyBatch(locked, [post(pending), post(pending), voiding(pending), expire(pending)], later(1), transfers)
    expect(posted.outcomes.slice(1).map((o) => o.kind === 'refused' && o.error)).toEqual([
      new TransferAlreadyPosted(pending.id),
      new TransferAlreadyPosted(pending.id),
      new TransferAlreadyPosted(pending.id),
    ])
    const voided = applyBatch(locked, [voiding(pending), post(pending), voiding(pending)], later(1), transfers)
    expect(voided.outcomes.slice(1).map((o) => o.kind === 'refused' && o.error)).toEqual([new TransferAlreadyVoided(pending.id), new TransferAlreadyVoided(pending.id)])
    const expiredOne = new Map([[pending.id, { ...pending, status: 'expired' as const }]])
    expect(applyBatch(locked, [post(pending)], later(1), expiredOne).outcomes[0]).toEqual({ kind: 'refused', error: new TransferExpired(pending.id) })
  })

  it('refuses to post a plain transfer, or a post itself, as not pending; and an unknown one as not found', () => {
    const { pending, locked, transfers } = reserved('30')
    const made = applyBatch(locked, [plain(1, 2, '1'), post(pending)], later(1), transfers)
    const [first, second] = made.outcomes
    if (first?.kind !== 'transferred' || second?.kind !== 'posted') throw new Error('setup')
    const others = new Map([
      [first.transfer.id, first.transfer],
      [second.transfer.id, second.transfer],
    ])
    const result = applyBatch(locked, [post(first.transfer), voiding(second.transfer), post({ ...pending, id: 'nope' })], later(1), others)
    expect(result.outcomes.map((o) => o.kind === 'refused' && o.error)).toEqual([
      new NotAPendingTransfer(first.transfer.id),
      new NotAPendingTransfer(second.transfer.id),
      new TransferNotFound('nope'),
    ])
  })
})

describe('expiry', () => {
  it('releases a pending transfer at its timeout, and only then', () => {
    const { pending, locked, transfers } = reserved('30', 60)
    expect(applyBatch(locked, [expire(pending)], later(59), transfers).outcomes[0]).toEqual({ kind: 'refused', error: new TransferNotDue(pending.id) })
    const result = applyBatch(locked, [expire(pending), voiding(pending)], later(60), transfers)
    expect(result.outcomes[0]).toMatchObject({ kind: 'expired', pending: { ...pending, status: 'expired' } })
    expect(result.outcomes[1]).toEqual({ kind: 'refused', error: new TransferExpired(pending.id) })
    expect(finals(result)).toEqual({ 1: '100/0/0', 2: '5/0/0' })
    expect(result.resolved).toEqual([{ ...pending, status: 'expired' }])
  })
})

describe('two-phase transfers against a reference model', () => {
  it.each(Array.from({ length: 60 }, (_, i) => i + 1))('matches the model on random sequence %i', (seed) => {
    const next = random(seed)
    const pick = (k: number) => Math.floor(next() * k)
    const amount = () => `${1 + pick(40)}.${String(pick(100)).padStart(2, '0')}`
    let locked = accounts(account(1, '100'), account(2, '50'), account(3, '0'), account(4, '20'))
    const model = new Map([...locked].map(([id, a]) => [id, { balance: units(a.balance.toString()), debits: 0n, credits: 0n }]))
    const open = new Map<string, Transfer>()
    let known = new Map<string, Transfer>()
    const holds = new Map<string, { status: string; expiresAt: number }>()

    for (let step = 0; step < 30; step++) {
      const at = later(step * 10)
      const all = [...known.values()]
      const target = all[pick(all.length)]
      const choice = pick(5)
      const from = 1 + pick(4)
      const to = 1 + ((from + pick(3)) % 4)
      const command =
        choice === 0 || !target ? plain(from, to, amount()) : choice === 1 ? reserve(from, to, amount(), 5 + pick(40)) : choice === 2 ? post(target, pick(2) ? undefined : amount()) : choice === 3 ? voiding(target) : expire(target)

      // The model's answer.
      let expected: string
      if (command.kind === 'transfer' || command.kind === 'pending-transfer') {
        const s = model.get(command.sourceAccountId)!
        const d = model.get(command.destinationAccountId)!
        const value = units(command.amount.toString())
        if (s.balance - s.debits < value) expected = 'INSUFFICIENT_FUNDS'
        else if (command.kind === 'transfer') {
          expected = 'transferred'
          s.balance -= value
          d.balance += value
        } else {
          expected = 'reserved'
          s.debits += value
          d.credits += value
        }
      } else {
        const p = target!
        const hold = holds.get(p.id)
        const due = at.getTime() >= (hold?.expiresAt ?? 0)
        const s = model.get(p.sourceAccountId)!
        const d = model.get(p.destinationAccountId)!
        const value = units(p.amount.toString())
        if (!hold) expected = 'NOT_A_PENDING_TRANSFER'
        else if (hold.status === 'posted') expected = 'TRANSFER_ALREADY_POSTED'
        else if (hold.status === 'voided') expected = 'TRANSFER_ALREADY_VOIDED'
        else if (hold.status === 'expired') expected = 'TRANSFER_EXPIRED'
        else if (command.kind === 'expire-pending' && !due) expected = 'TRANSFER_NOT_DUE'
        else if (command.kind !== 'expire-pending' && due) expected = 'TRANSFER_EXPIRED'
        else {
          const moved = command.kind === 'post-pending' ? (command.amount ? units(command.amount.toString()) : value) : 0n
          if (moved > value) expected = 'POST_AMOUNT_EXCEEDS_PENDING'
          else {
            expected = command.kind === 'post-pending' ? 'posted' : command.kind === 'void-pending' ? 'voided' : 'expired'
            hold.status = expected
            s.debits -= value
            d.credits -= value
            s.balance -= moved
            d.balance += moved
          }
        }
      }

      const result = applyBatch(locked, [command], at, known)
      expect(kinds(result.outcomes), `step ${step}`).toEqual([expected])
      for (const { after } of result.changes) locked = new Map([...locked, [after.id, after]])
      const outcome = result.outcomes[0]
      if (outcome && 'transfer' in outcome) known = new Map([...known, [outcome.transfer.id, outcome.transfer]])
      for (const resolved of result.resolved) known = new Map([...known, [resolved.id, resolved]])
      if (outcome?.kind === 'reserved') {
        open.set(outcome.transfer.id, outcome.transfer)
        holds.set(outcome.transfer.id, { status: 'pending', expiresAt: outcome.transfer.expiresAt!.getTime() })
      }
      for (const [id, m] of model) {
        const a = locked.get(id)!
        expect([units(a.balance.toString()), units(a.pendingDebits.toString()), units(a.pendingCredits.toString())], `account ${id} after step ${step}`).toEqual([m.balance, m.debits, m.credits])
      }
    }
  })
})
