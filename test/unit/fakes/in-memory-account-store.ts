import type { Account, AccountId } from '../../../src/domain/account.js'
import { AccountExists } from '../../../src/domain/errors.js'
import type { Transfer } from '../../../src/domain/transfer.js'
import type { AccountStore, AccountTransaction } from '../../../src/ports/account-store.js'

/**
 * A small fake with the port's contract: transactions see committed state, their writes become
 * visible only when `work` resolves, and a throwing `work` leaves nothing behind.
 */
export class InMemoryAccountStore implements AccountStore {
  readonly accounts = new Map<AccountId, Account>()
  readonly transfers: Transfer[] = []

  async create(account: Account): Promise<void> {
    if (this.accounts.has(account.id)) throw new AccountExists(account.id)
    this.accounts.set(account.id, account)
  }

  async find(id: AccountId): Promise<Account | undefined> {
    return this.accounts.get(id)
  }

  async transaction<T>(work: (tx: AccountTransaction) => Promise<T>): Promise<T> {
    const locked = new Map<AccountId, Account>()
    const pending: { transfer: Transfer; accounts: readonly Account[] }[] = []
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
        }
        pending.push({ transfer, accounts })
      },
    }
    const result = await work(tx)
    for (const { transfer, accounts } of pending) {
      this.transfers.push(transfer)
      for (const account of accounts) this.accounts.set(account.id, account)
    }
    return result
  }
}
