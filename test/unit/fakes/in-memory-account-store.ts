import type { Account, AccountId } from '../../../src/domain/account.js'
import { AccountExists } from '../../../src/domain/errors.js'
import type { Transfer } from '../../../src/domain/transfer.js'
import type { AccountStore, AccountTransaction } from '../../../src/ports/account-store.js'
import { IdempotencyKeyTaken } from '../../../src/ports/errors.js'
import type { IdempotencyRecord, IdempotencyRecords, StoredResponse } from '../../../src/ports/idempotency.js'

interface KeyRow {
  fingerprint: string
  expiresAt: Date
  response?: StoredResponse
}

/**
 * A small fake with the ports' contracts: transactions see committed state, their writes (accounts,
 * transfers, idempotency keys) become visible only when `work` resolves, and a throwing `work`
 * leaves nothing behind. Sequential only: it does not model two transactions waiting on each other.
 */
export class InMemoryAccountStore implements AccountStore {
  readonly accounts = new Map<AccountId, Account>()
  readonly transfers: Transfer[] = []
  readonly keys = new Map<string, KeyRow>()
  /** Transactions run so far: the locking path. */
  transactionsRun = 0

  /** Test setup: an account as if committed earlier. */
  seed(account: Account): void {
    this.accounts.set(account.id, account)
  }

  async find(id: AccountId): Promise<Account | undefined> {
    return this.accounts.get(id)
  }

  async transaction<T>(work: (tx: AccountTransaction) => Promise<T>): Promise<T> {
    this.transactionsRun++
    const locked = new Map<AccountId, Account>()
    const written = new Map<AccountId, Account>()
    const transfers: Transfer[] = []
    const keys = new Map<string, KeyRow>()
    const tx: AccountTransaction = {
      lockAccounts: async (ids) => {
        for (const id of ids) {
          const account = this.accounts.get(id)
          if (account) locked.set(id, account)
        }
        return new Map(locked)
      },
      recordTransfer: async (transfer, accounts) => {
        for (const account of accounts) {
          const before = locked.get(account.id)
          if (!before) throw new Error(`account ${account.id} was written without being locked`)
          if (account.version !== before.version + 1) throw new Error(`account ${account.id} skipped a version`)
          written.set(account.id, account)
        }
        transfers.push(transfer)
      },
      createAccount: async (account) => {
        if (this.accounts.has(account.id) || written.has(account.id)) throw new AccountExists(account.id)
        written.set(account.id, account)
      },
      claimIdempotencyKey: async ({ key, fingerprint, expiresAt }) => {
        if (this.keys.has(key)) throw new IdempotencyKeyTaken('taken')
        keys.set(key, { fingerprint, expiresAt })
      },
      saveIdempotentResponse: async (key, response) => {
        const row = keys.get(key)
        if (!row) throw new Error(`key ${key} was not claimed by this transaction`)
        row.response = response
      },
    }
    const result = await work(tx)
    for (const [id, account] of written) this.accounts.set(id, account)
    this.transfers.push(...transfers)
    for (const [key, row] of keys) {
      if (!row.response) throw new Error(`key ${key} committed without a response`)
      this.keys.set(key, row)
    }
    return result
  }

  async recordTransferIfUnchanged(transfer: Transfer, accounts: readonly [Account, Account]): Promise<boolean> {
    if (accounts.some((account) => this.accounts.get(account.id)?.version !== account.version - 1)) return false
    for (const account of accounts) this.accounts.set(account.id, account)
    this.transfers.push(transfer)
    return true
  }

  /** The committed keys, seen through the IdempotencyRecords port. */
  readonly records: IdempotencyRecords = {
    find: async (key): Promise<IdempotencyRecord | undefined> => {
      const row = this.keys.get(key)
      return row?.response && { key, fingerprint: row.fingerprint, response: row.response }
    },
    deleteExpired: async (now, limit) => {
      const expired = [...this.keys].filter(([, row]) => row.expiresAt < now).slice(0, limit)
      for (const [key] of expired) this.keys.delete(key)
      return expired.length
    },
  }
}
