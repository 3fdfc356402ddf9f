import type { Static } from 'typebox'
import { type Account, availableOf } from '../../domain/account.js'
import type { Transfer } from '../../domain/transfer.js'
import type { AccountView, TransferView } from './schemas.js'

export function toAccountView(account: Account): Static<typeof AccountView> {
  return {
    account_id: account.id,
    balance: account.balance.toString(),
    pending_debits: account.pendingDebits.toString(),
    pending_credits: account.pendingCredits.toString(),
    available: availableOf(account).toString(),
  }
}

export function toTransferView(transfer: Transfer): Static<typeof TransferView> {
  return {
    transfer_id: transfer.id,
    source_account_id: transfer.sourceAccountId,
    destination_account_id: transfer.destinationAccountId,
    amount: transfer.amount.toString(),
    created_at: transfer.createdAt.toISOString(),
    created_by: transfer.createdBy,
    status: transfer.status,
    expires_at: transfer.expiresAt?.toISOString() ?? null,
    pending_transfer_id: transfer.pendingTransferId,
  }
}
