import type { Account, AccountId } from '../domain/account.js'
import type { AccountChange } from '../domain/batch.js'
import type { LedgerEvent } from '../domain/events.js'
import type { Transfer } from '../domain/transfer.js'
import type { IdempotencyRecord, KeyClaim, StoredResponse } from './idempotency.js'

/**
 * Durable writes, one transaction at a time. Errors: LockConflict (nothing changed; the caller may
 * run the work again), StoreUnavailable (nothing changed) and StoreOutcomeUnknown (the commit was
 * sent and its answer lost).
 */
export interface UnitOfWork {
  /**
   * Runs `work` in one transaction, once, and commits when it resolves; rolls back when it
   * throws. Resolves only once the commit is known to have taken effect, so `work` must have no
   * effects outside the transaction: whether to run it again is the caller's decision.
   * `deadline` (a `performance.now()` instant) cuts every wait to it: for a connection, for a
   * lock (LockConflict('lock-wait') when it runs out), for a statement's answer (StoreUnavailable,
   * or StoreOutcomeUnknown for the COMMIT's); so the transaction has ended, one way or the
   * other, shortly after it.
   */
  run<T>(work: (tx: WriteTransaction) => Promise<T>, limits?: { deadline?: number }): Promise<T>
}

/**
 * The tables a transaction writes. Reads lock what they return until the transaction ends; writes
 * are queued and reach the database with the commit, so they cost no round trip of their own.
 */
export interface WriteTransaction {
  readonly accounts: AccountWrites
  readonly transfers: TransferWrites
  readonly idempotencyKeys: IdempotencyKeyWrites
  readonly outbox: OutboxWrites
}

export interface AccountWrites {
  /**
   * Locks the accounts that exist among `ids`, in ascending id order by one statement (so two
   * transactions over the same accounts cannot deadlock each other), waiting for other holders up
   * to the lock-wait bound; returns them keyed by id. Throws LockConflict when the wait runs out.
   */
  lock(ids: readonly AccountId[]): Promise<Map<AccountId, Account>>

  /**
   * As {@link lock}, without waiting: accounts another transaction holds are left out and named
   * in `busy`, for a caller that would rather set aside the work that needs them.
   */
  lockAvailable(ids: readonly AccountId[]): Promise<{ locked: Map<AccountId, Account>; busy: Set<AccountId> }>

  /**
   * Queues the accounts' new states: inserted when `before` is undefined (failing the commit if the
   * id exists by then), otherwise updated. Accounts with a `before` must be locked by this
   * transaction, so nothing else has changed them since.
   */
  write(changes: readonly AccountChange[]): void
}

export interface TransferWrites {
  /**
   * Locks the transfers that exist among `ids` (pending transfers to resolve), by one statement,
   * and returns them as last committed, keyed by id. Called after the accounts of those transfers
   * are locked: every change of a pending transfer holds its accounts first, so this waits for no
   * one in practice. Throws LockConflict when the wait runs out.
   */
  lock(ids: readonly string[]): Promise<Map<string, Transfer>>

  /** Queues the transfer records. */
  insert(transfers: readonly Transfer[]): void

  /** Queues the new status of pending transfers this transaction locked and resolved. */
  resolve(transfers: readonly Transfer[]): void
}

export interface IdempotencyKeyWrites {
  /**
   * Claims every key that is free, in one statement; a claimed key is held by this transaction
   * until it ends, so a concurrent claim of it elsewhere waits. Keys committed before are not
   * claimed: their records are returned, keyed by key. Waits for another transaction holding a
   * key up to the lock-wait bound, then throws LockConflict (on `idempotency-key`).
   */
  claim(claims: readonly KeyClaim[]): Promise<Map<string, IdempotencyRecord>>

  /** Queues the responses of keys this transaction claimed; they commit with it. */
  save(responses: readonly { key: string; response: StoredResponse }[]): void

  /** Queues the release of keys this transaction claimed and whose outcome is not kept. */
  release(keys: readonly string[]): void
}

export interface OutboxWrites {
  /**
   * Queues the events for publishing: they commit with the transaction (and with the trace context
   * it runs in) or not at all, and are published after the commit, in the order appended, by the
   * relay. Appending nothing costs nothing.
   */
  append(events: readonly LedgerEvent[]): void
}
