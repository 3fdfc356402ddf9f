import type { Account, AccountId } from '../domain/account.js'
import type { AppliedOutcomeOf, OpenAccountCommand } from '../domain/batch.js'
import type { Money } from '../domain/money.js'
import type { IdGenerator } from '../ports/id-generator.js'
import type { Idempotency, IdempotentResult } from './idempotency.js'
import type { Ledger } from './ledger.js'

export interface CreateAccountInput {
  accountId: AccountId
  initialBalance: Money
  /** The id of the API key that asks for it, recorded with the account; undefined with authentication off. */
  createdBy?: string | undefined
  idempotency?: Idempotency<AppliedOutcomeOf<OpenAccountCommand>> | undefined
}

export type CreateAccount = (input: CreateAccountInput) => Promise<IdempotentResult<Account>>

/**
 * Opens an account holding `initialBalance` (zero is allowed), through the write path, with an
 * opening entry that records it as the first item of the account's history. Throws
 * AccountExists for a taken id, unless the request carries a key whose earlier answer is replayed.
 */
export function createAccount(deps: { ledger: Ledger; ids: IdGenerator }): CreateAccount {
  return async ({ accountId, initialBalance, createdBy, idempotency }) => {
    const command: OpenAccountCommand = { kind: 'open-account', entryId: deps.ids.next(), accountId, initialBalance, ...(createdBy === undefined ? {} : { createdBy }) }
    const settled = await deps.ledger(command, idempotency)
    if (settled.kind === 'replayed') return settled
    return { kind: 'done', value: settled.outcome.account, ...(settled.response ? { response: settled.response } : {}) }
  }
}
