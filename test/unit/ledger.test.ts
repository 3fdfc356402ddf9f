import { beforeEach, describe, expect, it } from 'vitest'
import { IdempotencyKeyInUse, IdempotencyKeyReused } from '../../src/app/errors.js'
import type { Idempotency } from '../../src/app/idempotency.js'
import type { Applied, Command, TransferCommand } from '../../src/domain/batch.js'
import { InsufficientFunds } from '../../src/domain/errors.js'
import { Money } from '../../src/domain/money.js'
import { LockConflict, StoreOutcomeUnknown, StoreUnavailable } from '../../src/ports/errors.js'
import { type TestLedger, testLedger } from './fakes/test-ledger.js'

const money = (text: string) => Money.parse(text)!
let n = 0
const transfer = (from: number, to: number, amount: string): TransferCommand => ({
  kind: 'transfer',
  transferId: `t-${++n}`,
  sourceAccountId: from,
  destinationAccountId: to,
  amount: money(amount),
})
/** Answers as the HTTP adapter would, so replays can be compared byte for byte. */
const keyed = (key: string, fingerprint = key): Idempotency<Applied> => ({
  key,
  fingerprint,
  render: (outcome) =>
    outcome.kind === 'refused'
      ? { status: 422, body: `{"code":"${outcome.error.code}"}` }
      : { status: 201, body: JSON.stringify(outcome.kind === 'transferred' ? { id: outcome.transfer.id } : { account: outcome.kind === 'account-opened' ? outcome.account.id : undefined }) },
})

let t: TestLedger
const submit = (command: Command, idempotency?: Idempotency<Applied>) => t.ledger(command, idempotency as never)
/** Lets a batch that settled its requests finish its report. */
const reported = () => new Promise((resolve) => setImmediate(resolve))
const balances = (...ids: number[]) => ids.map((id) => t.store.accounts.get(id)?.balance.toString())

beforeEach(() => {
  t = testLedger({ maxInFlight: 1 })
  for (let id = 1; id <= 9; id++) t.store.seed({ id, balance: money('100'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 })
})

/** One request that starts a batch alone, then `commands` that queue behind it and go together. */
function behindOne(...commands: [Command, Idempotency<Applied>?][]) {
  const first = submit(transfer(8, 9, '1'))
  return { first, rest: commands.map(([command, idempotency]) => submit(command, idempotency).then((v) => v, (e: unknown) => e)) }
}

describe('the write path', () => {
  it('commits requests that arrive together in one transaction, each with its own outcome', async () => {
    const { first, rest } = behindOne([transfer(1, 2, '30')], [transfer(2, 3, '130')], [transfer(1, 2, '500')], [transfer(3, 4, '5')])
    await first
    const results = await Promise.all(rest)
    await reported()
    expect(results.map((r) => ('kind' in (r as object) ? (r as { kind: string }).kind : (r as Error).constructor.name))).toEqual([
      'applied',
      'applied',
      'InsufficientFunds',
      'applied',
    ])
    expect(t.reports.map((report) => [report.size, report.transactions])).toEqual([
      [1, 1],
      [4, 1],
    ])
    expect(balances(1, 2, 3, 4)).toEqual(['70', '0', '225', '105'])
    expect(t.store.transfers).toHaveLength(4)
  })

  it('refreshes every account a batch changed once, in its final state, in one cache write after the commit', async () => {
    const { first, rest } = behindOne([transfer(1, 2, '1')], [transfer(2, 1, '3')], [transfer(1, 3, '2')])
    await Promise.all([first, ...rest])
    expect(t.cache.puts).toHaveLength(2)
    expect(t.cache.puts[1]?.map((a) => `${a.id}:${a.version}:${a.balance.toString()}`).sort()).toEqual(['1:3:100', '2:2:98', '3:1:102'])
  })

  it('writes nothing to the cache for a refusal', async () => {
    await expect(submit(transfer(1, 2, '101'))).rejects.toBeInstanceOf(InsufficientFunds)
    expect(t.cache.puts).toEqual([[]])
  })

  it('runs a batch again after a deadlock, and applies each request once', async () => {
    t.store.fail('lock', new LockConflict('deadlock', 'account'))
    const { first, rest } = behindOne([transfer(1, 2, '10')], [transfer(3, 4, '10')])
    await Promise.all([first, ...rest])
    await reported()
    expect(t.reports[0]).toMatchObject({ transactions: 2, conflicts: { deadlock: 1 } })
    expect(balances(1, 2, 3, 4)).toEqual(['90', '110', '90', '110'])
    expect(t.store.transfers).toHaveLength(3)
  })

  it('runs a batch again when the database aborted it before its commit took effect', async () => {
    t.store.fail('commit', new LockConflict('aborted', undefined))
    await submit(transfer(1, 2, '10'))
    await reported()
    expect(t.reports[0]).toMatchObject({ transactions: 2, conflicts: { aborted: 1 } })
    expect(balances(1, 2)).toEqual(['90', '110'])
  })

  it('answers 503 once lock conflicts outlast the attempts, with nothing changed', async () => {
    for (let i = 0; i < 3; i++) t.store.fail('lock', new LockConflict('deadlock', 'account'))
    await expect(submit(transfer(1, 2, '10'))).rejects.toBeInstanceOf(StoreUnavailable)
    await reported()
    expect(t.reports[0]?.transactions).toBe(3)
    expect(balances(1, 2)).toEqual(['100', '100'])
  })

  it('spends the larger budget of certification conflicts on deadlocks and aborts, and only the smaller on lock waits', async () => {
    t = testLedger({ maxInFlight: 1, attempts: 3, conflictAttempts: 8 })
    for (let id = 1; id <= 4; id++) t.store.seed({ id, balance: money('100'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 })
    for (let i = 0; i < 4; i++) t.store.fail('lock', new LockConflict('deadlock', 'account'))
    for (let i = 0; i < 3; i++) t.store.fail('commit', new LockConflict('aborted', undefined))
    await submit(transfer(1, 2, '10'))
    await reported()
    expect(t.reports[0]).toMatchObject({ transactions: 8, conflicts: { deadlock: 4, aborted: 3 } })
    expect(balances(1, 2)).toEqual(['90', '110'])

    for (let i = 0; i < 3; i++) t.store.fail('lock', new LockConflict('lock-wait', 'account'))
    await expect(submit(transfer(3, 4, '10'))).rejects.toBeInstanceOf(StoreUnavailable)
    await reported()
    expect(t.reports[1]).toMatchObject({ transactions: 3, conflicts: { 'lock-wait': 3 } })
    expect(balances(3, 4)).toEqual(['100', '100'])
  })

  it('lets a request whose account was busy only for a moment commit in the waiting lane, not wait behind one whose account stays locked', async () => {
    t.store.busy.add(5).add(3)
    // Account 3 is free again once both tries in the first lane have set its request aside (as
    // when the other transaction that held it commits); account 5 stays locked.
    let triesOf3 = 0
    t.store.onLockCall = (call) => void (call.mode === 'skip-busy' && call.ids.includes(3) && ++triesOf3 === 2 && t.store.busy.delete(3))
    // All three are set aside twice; the first runs alone in the waiting lane, the other two together behind it.
    const { first, rest } = behindOne([transfer(5, 6, '10')], [transfer(5, 6, '20')], [transfer(3, 4, '10')])
    await first
    const [locked, alsoLocked, wasBusy] = await Promise.all(rest)
    expect(wasBusy).toMatchObject({ kind: 'applied' })
    expect(locked).toBeInstanceOf(StoreUnavailable)
    expect(alsoLocked).toBeInstanceOf(StoreUnavailable)
    await reported()
    // The batch of two took what was free first: 3 → 4 committed at once, and only 5 → 6 waited.
    const together = t.reports.find((report) => report.size === 2)
    expect(together).toMatchObject({ setAside: 1, conflicts: { 'lock-wait': 2 } })
    expect(t.store.lockCalls.slice(1).map((call) => [call.mode, call.ids])).toEqual([
      ['skip-busy', [5, 6, 5, 6, 3, 4]],
      ['skip-busy', [5, 6, 5, 6, 3, 4]],
      ['wait', [5, 6]],
      ['wait', [5, 6]],
      ['skip-busy', [5, 6, 3, 4]],
      ['wait', [5, 6]],
      ['wait', [5, 6]],
    ])
    expect(balances(3, 5)).toEqual(['90', '100'])
  })

  it('commits the innocent requests of a batch with a busy account without waiting for it, and lets only the one that needs it wait', async () => {
    t.store.busy.add(5)
    const { first, rest } = behindOne([transfer(1, 2, '10')], [transfer(5, 6, '10')], [transfer(3, 4, '10')])
    await first
    const [innocent, needsBusy, alsoInnocent] = await Promise.all(rest)
    expect(innocent).toMatchObject({ kind: 'applied' })
    expect(alsoInnocent).toMatchObject({ kind: 'applied' })
    // The batch took what was free; the busy account stayed locked: one more try in the first
    // lane, two waits in the waiting lane, then 503.
    expect(needsBusy).toBeInstanceOf(StoreUnavailable)
    await reported()
    expect(t.store.lockCalls.slice(1).map((call) => [call.mode, call.ids])).toEqual([
      ['skip-busy', [1, 2, 5, 6, 3, 4]],
      ['skip-busy', [5, 6]],
      ['wait', [5, 6]],
      ['wait', [5, 6]],
    ])
    expect(t.reports[1]).toMatchObject({ size: 3, transactions: 1, setAside: 1, conflicts: { 'lock-wait': 0 } })
    expect(t.reports[2]).toMatchObject({ size: 1, transactions: 1, setAside: 1 })
    expect(t.reports[3]).toMatchObject({ size: 1, transactions: 2, conflicts: { 'lock-wait': 2 } })
    expect(balances(1, 3, 5)).toEqual(['90', '90', '100'])
  })

  it('applies a set-aside request once its account is free again', async () => {
    t.store.busy.add(5)
    const { first, rest } = behindOne([transfer(1, 2, '10')], [transfer(5, 6, '10')])
    // The other holder lets go while the batch runs without waiting for it.
    t.store.onLockCall = (call) => call.mode === 'skip-busy' && t.store.busy.clear()
    await Promise.all([first, ...rest])
    expect(await rest[1]).toMatchObject({ kind: 'applied' })
    expect(balances(5, 6)).toEqual(['90', '110'])
  })

  it('runs each keyed request alone when a key is held elsewhere: only that one answers 409', async () => {
    t.store.heldKeys.add('held')
    const { first, rest } = behindOne([transfer(1, 2, '1'), keyed('free')], [transfer(3, 4, '1'), keyed('held')], [transfer(5, 6, '1')])
    await first
    const [free, held, plain] = await Promise.all(rest)
    expect(free).toMatchObject({ kind: 'applied', response: { status: 201 } })
    expect(held).toBeInstanceOf(IdempotencyKeyInUse)
    expect(plain).toMatchObject({ kind: 'applied' })
    expect(balances(1, 3, 5)).toEqual(['99', '100', '99'])
  })

  it('isolates a request that makes its batch fail: it fails alone, the others commit', async () => {
    const poison = transfer(3, 4, '1')
    t.store.poisoned.add(poison.transferId)
    const { first, rest } = behindOne([transfer(1, 2, '1')], [poison], [transfer(5, 6, '1')])
    await first
    const [before, failed, after] = await Promise.all(rest)
    await reported()
    expect(before).toMatchObject({ kind: 'applied' })
    expect(failed).toMatchObject({ message: 'test: a constraint failed' })
    expect(after).toMatchObject({ kind: 'applied' })
    expect(t.reports[1]).toMatchObject({ isolated: 3 })
    expect(balances(1, 3, 5)).toEqual(['99', '100', '99'])
  })

  it('answers every request of a batch whose commit answer was lost with COMMIT_OUTCOME_UNKNOWN', async () => {
    const first = submit(transfer(8, 9, '1'))
    t.store.loseNextCommit('rolled back')
    await first.catch(() => {})
    t.store.loseNextCommit('committed')
    const results = await Promise.all([submit(transfer(1, 2, '1')), submit(transfer(3, 4, '1'))].map((p) => p.catch((e: unknown) => e)))
    expect(results.every((result) => result instanceof StoreOutcomeUnknown)).toBe(true)
    expect(await first.catch((e: unknown) => e)).toBeInstanceOf(StoreOutcomeUnknown)
  })

  it('settles a keyed retry after a lost commit exactly once, whichever way the commit went', async () => {
    for (const outcome of ['committed', 'rolled back'] as const) {
      const command = transfer(1, 2, '5')
      t.store.loseNextCommit(outcome)
      await expect(submit(command, keyed(`lost-${outcome}`))).rejects.toBeInstanceOf(StoreOutcomeUnknown)
      const retry = await submit(command, keyed(`lost-${outcome}`))
      expect(retry.kind).toBe(outcome === 'committed' ? 'replayed' : 'applied')
    }
    expect(t.store.transfers).toHaveLength(2)
    expect(balances(1, 2)).toEqual(['90', '110'])
  })

  it('answers every request of the batch with StoreUnavailable when the database is gone', async () => {
    t.store.fail('lock', new StoreUnavailable('test: no database'))
    await expect(submit(transfer(1, 2, '1'))).rejects.toBeInstanceOf(StoreUnavailable)
    await reported()
    expect(t.reports[0]?.transactions).toBe(1)
  })

  it('answers 503 at once when the write queue is full', async () => {
    t = testLedger({ maxInFlight: 1, queueLimit: 1 })
    for (const id of [1, 2]) t.store.seed({ id, balance: money('10'), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 0 })
    const running = submit(transfer(1, 2, '1'))
    const queued = submit(transfer(1, 2, '1'))
    await expect(submit(transfer(1, 2, '1'))).rejects.toBeInstanceOf(StoreUnavailable)
    await Promise.all([running, queued])
    expect(balances(1, 2)).toEqual(['8', '12'])
  })
})

describe('idempotency keys in batches', () => {
  it('lets one of two requests with the same key apply, and replays its answer to the other', async () => {
    const command = transfer(1, 2, '7')
    const [a, b] = await Promise.all([submit(command, keyed('same')), submit(command, keyed('same'))])
    expect([a.kind, b.kind]).toEqual(['applied', 'replayed'])
    expect('response' in b && b.response).toEqual('response' in a && a.response)
    expect(t.store.transfers).toHaveLength(1)
  })

  it('refuses the second of two requests with the same key and different bodies', async () => {
    const [a, b] = await Promise.all([
      submit(transfer(1, 2, '7'), keyed('same', 'one body')),
      submit(transfer(1, 2, '8'), keyed('same', 'another body')).catch((e: unknown) => e),
    ])
    expect(a.kind).toBe('applied')
    expect(b).toBeInstanceOf(IdempotencyKeyReused)
    expect(balances(1)).toEqual(['93'])
  })

  it('answers a key committed earlier from its record, in a batch with new work', async () => {
    const earlier = await submit(transfer(1, 2, '1'), keyed('earlier'))
    const { first, rest } = behindOne([transfer(1, 2, '1'), keyed('earlier')], [transfer(3, 4, '1'), keyed('new')])
    await first
    const [replayed, fresh] = await Promise.all(rest)
    expect(replayed).toEqual({ kind: 'replayed', response: 'response' in earlier ? earlier.response : undefined })
    expect(fresh).toMatchObject({ kind: 'applied' })
    expect(balances(1, 3)).toEqual(['99', '99'])
  })

  it('keeps a business refusal with its key, and releases the key of one the registry does not keep', async () => {
    await expect(submit(transfer(1, 2, '1000'), keyed('broke'))).rejects.toBeInstanceOf(InsufficientFunds)
    expect(t.store.keys.get('broke')?.response).toEqual({ status: 422, body: '{"code":"INSUFFICIENT_FUNDS"}' })
    await expect(submit(transfer(1, 1, '1'), keyed('same-account'))).rejects.toMatchObject({ code: 'SAME_ACCOUNT' })
    expect(t.store.keys.has('same-account')).toBe(false)
  })
})
