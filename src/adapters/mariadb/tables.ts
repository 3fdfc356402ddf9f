import type { ColumnType, Generated } from 'kysely'

/** Row shapes as mysql2 returns them; they never leave this adapter. */
export interface AccountsTable {
  account_id: number
  /** DECIMAL(38,18); mysql2 returns it as a string, which keeps it exact. */
  balance: string
  version: number
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface TransfersTable {
  transfer_id: string
  source_account_id: number
  destination_account_id: number
  amount: string
  created_at: ColumnType<Date, Date, never>
}

export interface IdempotencyKeysTable {
  idempotency_key: string
  fingerprint: string
  response_status: number | null
  response_body: string | null
  created_at: Generated<Date>
  expires_at: Date
}

export interface Database {
  accounts: AccountsTable
  transfers: TransfersTable
  idempotency_keys: IdempotencyKeysTable
}
