import type { Account } from '../../domain/account.js'
import { Money } from '../../domain/money.js'
import type { AccountsTable } from './tables.js'

export type AccountRow = Pick<AccountsTable, 'account_id' | 'balance' | 'version'>

export const ACCOUNT_COLUMNS = 'account_id, balance, version'

export function rowToAccount(row: AccountRow): Account {
  const balance = Money.parse(row.balance)
  if (!balance) throw new Error(`Account ${row.account_id} holds a balance that is not a valid amount`)
  return { id: Number(row.account_id), balance, version: Number(row.version) }
}
