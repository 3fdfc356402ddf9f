import type { ColumnType, Generated } from 'kysely'

/** Row shapes as mysql2 returns them; they never leave this adapter. */
export interface AccountsTable {
  account_id: number
  /** DECIMAL(38,18); mysql2 returns it as a string, which keeps it exact. */
  balance: string
  /** DECIMAL(38,18): the sums of the account's open pending transfers out and in. */
  pending_debits: string
  pending_credits: string
  version: number
  /** The API key that opened it; NULL with authentication off. */
  created_by: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface TransfersTable {
  transfer_id: string
  source_account_id: number
  destination_account_id: number
  amount: string
  created_at: ColumnType<Date, Date, never>
  /** The API key that made it; NULL with authentication off. */
  created_by: string | null
  status: 'posted' | 'pending' | 'voided' | 'expired' | 'opening'
  /** DECIMAL(38,18): the posted balances this record left; NULL for rows older than migration 0006. */
  source_balance_after: string | null
  destination_balance_after: string | null
  /** Set for a pending transfer, whatever became of it. */
  expires_at: Date | null
  /** Set for the post or void of a pending transfer: that transfer. */
  pending_transfer_id: string | null
}

export interface IdempotencyKeysTable {
  idempotency_key: string
  fingerprint: string
  response_status: number | null
  response_body: string | null
  created_at: Generated<Date>
  expires_at: Date
}

export interface ApiKeysTable {
  api_key_id: string
  name: string
  secret_digest: Buffer
  /** Comma-separated scopes. */
  scopes: string
  /** `1001,2000-2999`, or NULL for every account. */
  accounts: string | null
  created_at: Date
  revoked_at: Date | null
}

export interface OutboxTable {
  id: Generated<string>
  /** How many lines `messages` holds. */
  event_count: number
  /** The transaction's events in order, a line each (outbox-rows.ts). */
  messages: string
  trace_context: string | null
  created_at: Generated<Date>
}

export interface OutboxRelayTable {
  id: number
}

export interface Database {
  accounts: AccountsTable
  transfers: TransfersTable
  idempotency_keys: IdempotencyKeysTable
  api_keys: ApiKeysTable
  outbox: OutboxTable
  outbox_relay: OutboxRelayTable
}
