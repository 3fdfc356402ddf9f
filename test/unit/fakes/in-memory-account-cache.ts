import type { Account, AccountId } from '../../../src/domain/account.js'
import type { AccountCache } from '../../../src/ports/account-cache.js'

/** The port's contract in memory: a write lands only when newer; `failing` makes every call miss. */
export class InMemoryAccountCache implements AccountCache {
  readonly entries = new Map<AccountId, Account>()
  readonly puts: Account[][] = []
  failing = false

  async get(id: AccountId): Promise<Account | undefined> {
    return this.failing ? undefined : this.entries.get(id)
  }

  async put(accounts: readonly Account[]): Promise<void> {
    this.puts.push([...accounts])
    if (this.failing) return
    for (const account of accounts) {
      const held = this.entries.get(account.id)
      if (!held || held.version < account.version) this.entries.set(account.id, account)
    }
  }
}
