import type { AccountState, LedgerEvent } from '../../domain/events.js'

/**
 * The wire form of an event (docs/events.schema.json): JSON in snake_case as the HTTP API writes
 * it, money as decimal strings, and the subject it is published under (after the configured
 * prefix): `account.opened.<account>` or `<type>.<source>.<destination>` for a transfer's event, so consumers can
 * filter by type and by account.
 */
export function eventMessage(event: LedgerEvent): { subject: string; payload: string } {
  const common = {
    id: event.id,
    type: event.type,
    time: event.at.toISOString(),
    created_by: event.createdBy,
    idempotency_key: event.idempotencyKey,
  }
  if (event.type === 'account.opened') {
    return { subject: `${event.type}.${event.account.accountId}`, payload: JSON.stringify({ ...common, account: stateJson(event.account) }) }
  }
  return {
    subject: `${event.type}.${event.source.accountId}.${event.destination.accountId}`,
    payload: JSON.stringify({
      ...common,
      transfer_id: event.transferId,
      amount: event.amount.toString(),
      ...('pendingTransferId' in event ? { pending_transfer_id: event.pendingTransferId } : {}),
      ...(event.type === 'transfer.pending' ? { expires_at: event.expiresAt?.toISOString() ?? null } : {}),
      source: stateJson(event.source),
      destination: stateJson(event.destination),
    }),
  }
}

function stateJson(state: AccountState) {
  return {
    account_id: state.accountId,
    balance: state.balance.toString(),
    pending_debits: state.pendingDebits.toString(),
    pending_credits: state.pendingCredits.toString(),
    version: state.version,
  }
}
