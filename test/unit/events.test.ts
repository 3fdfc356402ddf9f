import { describe, expect, it } from 'vitest'
import type { Idempotency } from '../../src/app/idempotency.js'
import type { Applied, TransferCommand } from '../../src/domain/batch.js'
import { openedAccount } from '../../src/domain/account.js'
import { eventsOf, type TransferPostedEvent } from '../../src/domain/events.js'
import { Money } from '../../src/domain/money.js'
import { eventMessage } from '../../src/adapters/events/event-json.js'
import { testLedger } from './fakes/test-ledger.js'

const money = (text: string) => Money.parse(text)!
const account = (id: number, balance: string, version: number) => ({ ...openedAccount(id, money(balance)), version })
const state = (accountId: number, balance: string, version: number) => ({ accountId, balance: money(balance), pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version })
const at = new Date('2026-12-01T10:00:00.000Z')
const context = { nextId: () => 'e-1', at, createdBy: 'k1', idempotencyKey: null }

const transfer = (id: string, from: number, to: number, amount: string, createdBy?: string): TransferCommand => ({
  kind: 'transfer',
  transferId: id,
  sourceAccountId: from,
  destinationAccountId: to,
  amount: money(amount),
  ...(createdBy ? { createdBy } : {}),
})
const keyed = (key: string, clientKey: string): Idempotency<Applied> => ({ key, clientKey, fingerprint: key, render: () => ({ status: 201, body: '{}' }) })

describe('eventsOf', () => {
  it('announces an opened account with its balance and version', () => {
    const opened = account(7, '12.50', 0)
    const entry = { id: 'o1', sourceAccountId: 7, destinationAccountId: 7, amount: money('12.50'), createdAt: at, createdBy: 'k1', status: 'opening' as const, expiresAt: null, pendingTransferId: null, sourceBalanceAfter: null, destinationBalanceAfter: null }
    const events = eventsOf({ kind: 'account-opened', account: opened, entry }, context)
    expect(events).toEqual([{ id: 'e-1', type: 'account.opened', at, createdBy: 'k1', idempotencyKey: null, account: state(7, '12.50', 0) }])
  })

  it('announces a transfer with both accounts as it left them, at the transfer’s time', () => {
    const transferAt = new Date('2026-12-01T10:00:01.000Z')
    const [event] = eventsOf(
      {
        kind: 'transferred',
        transfer: {
          id: 't1',
          sourceAccountId: 1,
          destinationAccountId: 2,
          amount: money('0.000000000000000001'),
          createdAt: transferAt,
          createdBy: 'k1',
          status: 'posted',
          expiresAt: null,
          pendingTransferId: null,
          sourceBalanceAfter: null,
          destinationBalanceAfter: null,
        },
        source: account(1, '99.999999999999999999', 4),
        destination: account(2, '100.000000000000000001', 9),
      },
      context,
    )
    const wire = eventMessage(event!)
    expect(wire.subject).toBe('transfer.posted.1.2')
    expect(JSON.parse(wire.payload)).toEqual({
      id: 'e-1',
      type: 'transfer.posted',
      time: '2026-12-01T10:00:01.000Z',
      created_by: 'k1',
      idempotency_key: null,
      transfer_id: 't1',
      amount: '0.000000000000000001',
      pending_transfer_id: null,
      source: { account_id: 1, balance: '99.999999999999999999', pending_debits: '0', pending_credits: '0', version: 4 },
      destination: { account_id: 2, balance: '100.000000000000000001', pending_debits: '0', pending_credits: '0', version: 9 },
    })
  })
})

describe('the write path with events on', () => {
  it('appends one event per applied command, in the transaction, in order; refusals append none', async () => {
    const t = testLedger({ events: true, maxInFlight: 1 })
    for (const id of [1, 2, 3]) t.store.seed(account(id, '100', 0))
    const results = await Promise.allSettled([
      t.ledger(transfer('a', 1, 2, '30', 'k1')),
      t.ledger(transfer('b', 2, 3, '500')),
      t.ledger(transfer('c', 2, 3, '130'), keyed('k1 retry-1', 'retry-1') as never),
      t.ledger({ kind: 'open-account', entryId: 'o4', accountId: 4, initialBalance: money('5') }),
      t.ledger({ kind: 'open-account', entryId: 'o4', accountId: 4, initialBalance: money('5') }),
    ])
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected'])
    expect(t.store.events.map((event) => [event.id, event.type])).toEqual([
      ['e1', 'transfer.posted'],
      ['e2', 'transfer.posted'],
      ['e3', 'account.opened'],
    ])
    const [first, second] = t.store.events as TransferPostedEvent[]
    expect(first).toMatchObject({ transferId: 'a', createdBy: 'k1', idempotencyKey: null })
    expect(second).toMatchObject({ transferId: 'c', createdBy: null, idempotencyKey: 'retry-1' })
    expect(second?.source).toEqual(state(2, '0', 2))
    expect(second?.destination).toEqual(state(3, '230', 1))
  })

  it('appends nothing for a transaction that does not commit, and nothing at all with events off', async () => {
    const on = testLedger({ events: true })
    on.store.seed(account(1, '100', 0))
    on.store.seed(account(2, '100', 0))
    on.store.loseNextCommit('rolled back')
    await expect(on.ledger(transfer('x', 1, 2, '1'))).rejects.toThrow()
    expect(on.store.events).toEqual([])

    const off = testLedger()
    off.store.seed(account(1, '100', 0))
    off.store.seed(account(2, '100', 0))
    await off.ledger(transfer('y', 1, 2, '1'))
    expect(off.store.transfers).toHaveLength(1)
    expect(off.store.events).toEqual([])
  })
})
