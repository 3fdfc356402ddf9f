import type { AccountId } from '../domain/account.js'
import type { Money } from '../domain/money.js'
import type { TransferStatus } from '../domain/transfer.js'

/**
 * An account row as the audit reads it. An amount that is not a valid Money (negative, or not a
 * decimal at all) reads as undefined, so that the audit can report it instead of failing.
 */
export interface AuditedAccount {
  id: AccountId
  version: number
  balance: Money | undefined
  pendingDebits: Money | undefined
  pendingCredits: Money | undefined
}

/** A transfer row as the audit reads it: what it needs to add up entries, and nothing else. */
export interface AuditedTransfer {
  id: string
  sourceAccountId: AccountId
  destinationAccountId: AccountId
  amount: Money | undefined
  status: TransferStatus
  /** Whether it was made pending (has an expiry), whatever became of it. */
  wasPending: boolean
}

/** Reads of one consistent snapshot of the ledger, in bounded pages. */
export interface LedgerSnapshot {
  /** Accounts with an id above `after`, in id order, at most `limit`. */
  accounts(after: AccountId, limit: number): Promise<AuditedAccount[]>
  /** Transfer records with an id above `after`, in id order, at most `limit`. */
  transfers(after: string, limit: number): Promise<AuditedTransfer[]>
}

export interface SnapshotReader {
  /**
   * Runs `work` against one consistent snapshot of the database (every read sees the same
   * committed state), taking no locks, so writers are never held up by it.
   */
  read<T>(work: (snapshot: LedgerSnapshot) => Promise<T>): Promise<T>
}
