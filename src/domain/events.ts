import type { Account, AccountId } from './account.js'
import type { Applied } from './batch.js'
import type { Money } from './money.js'

/** An account as a committed change left it: what an event reports of it. */
export interface AccountState {
  readonly accountId: AccountId
  readonly balance: Money
  /** Reserved by pending transfers, out of and into it. */
  readonly pendingDebits: Money
  readonly pendingCredits: Money
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

/** A transfer's event: the money it concerns and both accounts as it left them. */
interface TransferEventBase extends EventBase {
  /** The transfer this change recorded (for an expiry, the pending transfer itself). */
  readonly transferId: string
  readonly amount: Money
  readonly source: AccountState
  readonly destination: AccountState
}

/** Money moved: a plain transfer, or a pending one posted (then `pendingTransferId` names it). */
export interface TransferPostedEvent extends TransferEventBase {
  readonly type: 'transfer.posted'
  readonly pendingTransferId: string | null
}

/** Money reserved on both accounts until posted, voided or expired. */
export interface TransferPendingEvent extends TransferEventBase {
  readonly type: 'transfer.pending'
  readonly expiresAt: Date | null
}

/** A pending transfer's reservation released: voided by a request, or expired at its timeout. */
export interface TransferReleasedEvent extends TransferEventBase {
  readonly type: 'transfer.voided' | 'transfer.expired'
  readonly pendingTransferId: string
}

/** A change to money that other services may react to; written with the change, in its transaction. */
export type LedgerEvent = AccountOpenedEvent | TransferPostedEvent | TransferPendingEvent | TransferReleasedEvent

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
 * has its case, so a new kind of outcome does not compile until it says what it announces. A
 * batch of transfers announces each applied item, in order.
 */
export function eventsOf(outcome: Applied, context: EventContext): LedgerEvent[] {
  const base = { at: context.at, createdBy: context.createdBy, idempotencyKey: context.idempotencyKey }
  const accounts = (o: { source: Account; destination: Account }) => ({ source: stateOf(o.source), destination: stateOf(o.destination) })
  switch (outcome.kind) {
    case 'account-opened':
      return [{ ...base, id: context.nextId(), type: 'account.opened', account: stateOf(outcome.account) }]
    case 'transferred':
    case 'posted': {
      const { transfer } = outcome
      const pendingTransferId = outcome.kind === 'posted' ? outcome.pending.id : null
      return [{ ...base, id: context.nextId(), at: transfer.createdAt, type: 'transfer.posted', transferId: transfer.id, amount: transfer.amount, pendingTransferId, ...accounts(outcome) }]
    }
    case 'reserved': {
      const { transfer } = outcome
      return [{ ...base, id: context.nextId(), at: transfer.createdAt, type: 'transfer.pending', transferId: transfer.id, amount: transfer.amount, expiresAt: transfer.expiresAt, ...accounts(outcome) }]
    }
    case 'voided':
      return [{ ...base, id: context.nextId(), type: 'transfer.voided', transferId: outcome.transfer.id, amount: outcome.pending.amount, pendingTransferId: outcome.pending.id, ...accounts(outcome) }]
    case 'expired':
      return [{ ...base, id: context.nextId(), type: 'transfer.expired', transferId: outcome.pending.id, amount: outcome.pending.amount, pendingTransferId: outcome.pending.id, ...accounts(outcome) }]
    case 'batch-applied':
      return outcome.outcomes.flatMap((item) => (item.kind === 'refused' ? [] : eventsOf(item, context)))
  }
}

function stateOf(account: Account): AccountState {
  return { accountId: account.id, balance: account.balance, pendingDebits: account.pendingDebits, pendingCredits: account.pendingCredits, version: account.version }
}
