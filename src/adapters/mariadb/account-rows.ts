import type { Account } from '../../domain/account.js'
import { Money } from '../../domain/money.js'
import type { AccountsTable } from './tables.js'

export type AccountRow = Pick<AccountsTable, 'account_id' | 'balance' | 'pending_debits' | 'pending_credits' | 'version'>

export const ACCOUNT_COLUMNS = 'account_id, balance, pending_debits, pending_credits, version'
export const ACCOUNT_FIELDS = ['account_id', 'balance', 'pending_debits', 'pending_credits', 'version'] as const

export function rowToAccount(row: AccountRow): Account {
  const amount = (text: string) => {
    const money = Money.parse(text)
    if (!money) throw new Error(`Account ${row.account_id} holds an amount that is not valid`)
    return money
  }
  return {
    id: Number(row.account_id),
    balance: amount(row.balance),
    pendingDebits: amount(row.pending_debits),
    pendingCredits: amount(row.pending_credits),
    version: Number(row.version),
  }
}

/** The values of an account for ACCOUNT_COLUMNS, in that order. */
export function accountValues(account: Account): (string | number)[] {
  return [account.id, account.balance.toString(), account.pendingDebits.toString(), account.pendingCredits.toString(), account.version]
}
