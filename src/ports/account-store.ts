import type { Account, AccountId } from '../domain/account.js'
import type { Transfer } from '../domain/transfer.js'
import type { StoredResponse } from './idempotency.js'

/**
 * Durable accounts and transfers. Every method may throw {@link StoreUnavailable}
 * when the store cannot answer within its bounded time.
 */
export interface AccountStore {
  /** The account as last committed, without locking; undefined when it does not exist. */
  find(id: AccountId): Promise<Account | undefined>

  /**
   * Runs `work` inside one transaction and commits when it resolves; rolls back when it throws.
   * On a deadlock or lock-wait timeout the transaction is rolled back and `work` runs again,
   * a bounded number of times, so `work` must have no effects outside the transaction.
   * When the attempts run out it throws StoreUnavailable.
   */
  transaction<T>(work: (tx: AccountTransaction) => Promise<T>): Promise<T>

  /**
   * Records a transfer between two accounts and writes the accounts it produced, in a transaction
   * of its own, provided each account is still at the version it was produced from (its `version`
   * minus one): the rules were then checked against the truth. Resolves true once committed;
   * false, with nothing changed, when either account has moved on or is missing, or when the
   * attempt met a lock conflict. The caller then decides again under {@link transaction}.
   * Throws StoreOutcomeUnknown when the answer was lost after the request was sent.
   */
  recordTransferIfUnchanged(transfer: Transfer, accounts: readonly [Account, Account]): Promise<boolean>
}

/** The operations available inside {@link AccountStore.transaction}. */
export interface AccountTransaction {
  /**
   * Locks the given accounts for update (in ascending id order, so two transactions over the
   * same pair cannot deadlock each other) and returns those that exist, keyed by id.
   */
  lockAccounts(ids: readonly AccountId[]): Promise<Map<AccountId, Account>>

  /**
   * Records a transfer and writes the accounts it produced. The accounts must have been locked
   * by this transaction, and each `version` must be exactly one above the locked version.
   */
  recordTransfer(transfer: Transfer, accounts: readonly Account[]): Promise<void>

  /** Inserts a new account. Throws AccountExists when the id is taken. */
  createAccount(account: Account): Promise<void>

  /**
   * Claims an idempotency key for this transaction, before any other work. While this transaction
   * is open, a concurrent claim of the same key waits for it. Throws IdempotencyKeyTaken when the
   * key was committed before, and IdempotencyKeyInUse when the wait for another holder runs out.
   */
  claimIdempotencyKey(claim: { key: string; fingerprint: string; expiresAt: Date }): Promise<void>

  /** Saves the response of a key claimed by this transaction; it commits with the transaction. */
  saveIdempotentResponse(key: string, response: StoredResponse): Promise<void>
}
