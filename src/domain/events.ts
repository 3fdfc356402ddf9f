import type { AccountId } from './account.js'
import type { Applied } from './batch.js'
import type { Money } from './money.js'

/** An account as a committed change left it: what an event reports of it. */
export interface AccountState {
  readonly accountId: AccountId
  readonly balance: Money
  readonly version: number
}

interface EventBase {
  /** Unique; the publisher's message id, so a re-sent event is recognised as the same one. */
  readonly id: string
  /** When the change was applied (the batch's time, taken once its locks were held). */
  readonly at: Date
  /** The API key that asked for the change; null when authentication was off. */
  readonly createdBy: string | null
  /** The Idempotency-Key the request carried, as the client sent it; null without one. */
  readonly idempotencyKey: string | null
}

export interface AccountOpenedEvent extends EventBase {
  readonly type: 'account.opened'
  readonly account: AccountState
}

export interface TransferPostedEvent extends EventBase {
  readonly type: 'transfer.posted'
  readonly transferId: string
  readonly amount: Money
  /** Both accounts as the transfer left them. */
  readonly source: AccountState
  readonly destination: AccountState
}

/** A change to money that other services may react to; written with the change, in its transaction. */
export type LedgerEvent = AccountOpenedEvent | TransferPostedEvent

export type EventType = LedgerEvent['type']

/** What an outcome's events need beyond the outcome itself. */
export interface EventContext {
  /** A new unique id per call. */
  readonly nextId: () => string
  readonly at: Date
  readonly createdBy: string | null
  readonly idempotencyKey: string | null
}

/**
 * The events an applied outcome announces, in the order they happened. Pure. Every outcome kind
 * has its case, so a new kind of outcome does not compile until it says what it announces.
 */
export function eventsOf(outcome: Applied, context: EventContext): LedgerEvent[] {
  const base = { at: context.at, createdBy: context.createdBy, idempotencyKey: context.idempotencyKey }
  switch (outcome.kind) {
    case 'account-opened':
      return [{ ...base, id: context.nextId(), type: 'account.opened', account: stateOf(outcome.account) }]
    case 'transferred':
      return [
        {
          ...base,
          id: context.nextId(),
          at: outcome.transfer.createdAt,
          type: 'transfer.posted',
          transferId: outcome.transfer.id,
          amount: outcome.transfer.amount,
          source: stateOf(outcome.source),
          destination: stateOf(outcome.destination),
        },
      ]
  }
}

/** Every account an event reports, in the order it names them. */
export function accountsOfEvent(event: LedgerEvent): AccountId[] {
  return event.type === 'account.opened' ? [event.account.accountId] : [event.source.accountId, event.destination.accountId]
}

function stateOf(account: { id: AccountId; balance: Money; version: number }): AccountState {
  return { accountId: account.id, balance: account.balance, version: account.version }
}
