import type { Account, AccountId } from '../domain/account.js'

/** Committed accounts, read without locking. Throws StoreUnavailable when the store cannot answer in bounded time. */
export interface AccountRecords {
  /** The account as last committed; undefined when it does not exist. */
  find(id: AccountId): Promise<Account | undefined>
}
