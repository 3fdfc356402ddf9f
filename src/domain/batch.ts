import type { Account, AccountId } from './account.js'
import { AccountExists, AccountNotFound, DomainError } from './errors.js'
import type { Money } from './money.js'
import { moveMoney, type Transfer } from './transfer.js'

export interface OpenAccountCommand {
  readonly kind: 'open-account'
  readonly accountId: AccountId
  readonly initialBalance: Money
  /** The id of the API key that asks for it, recorded with the account. */
  readonly createdBy?: string
}

export interface TransferCommand {
  readonly kind: 'transfer'
  readonly transferId: string
  readonly sourceAccountId: AccountId
  readonly destinationAccountId: AccountId
  readonly amount: Money
  /** The id of the API key that asks for it, recorded with the transfer. */
  readonly createdBy?: string
}

/** One change a batch can carry. */
export type Command = OpenAccountCommand | TransferCommand

export interface AccountOpened {
  readonly kind: 'account-opened'
  readonly account: Account
}

/** A transfer applied, with both accounts as it left them. */
export interface Transferred {
  readonly kind: 'transferred'
  readonly transfer: Transfer
  readonly source: Account
  readonly destination: Account
}

/** What became of one command: applied, or refused with the rule it broke. */
export type Outcome = AccountOpened | Transferred | { readonly kind: 'refused'; readonly error: DomainError }

/** An outcome of a command that was applied. */
export type Applied = Exclude<Outcome, { kind: 'refused' }>

/** The outcome a command has when it is applied. */
export type AppliedOutcomeOf<C extends Command> = C extends TransferCommand ? Transferred : AccountOpened

/** An account the batch changed: as it was locked (undefined when the batch opened it), and as it ends. */
export interface AccountChange {
  readonly before: Account | undefined
  readonly after: Account
  /** For an account the batch opened: the API key that opened it. */
  readonly createdBy?: string
}

export interface BatchResult {
  /** One per command, in the order of the commands. */
  readonly outcomes: readonly Outcome[]
  /** Every account an applied command touched, once, in its final state. */
  readonly changes: readonly AccountChange[]
}

/** The accounts a command reads and writes; all of them must be locked before the batch is applied. */
export function accountsOf(command: Command): AccountId[] {
  return command.kind === 'transfer' ? [command.sourceAccountId, command.destinationAccountId] : [command.accountId]
}

/**
 * Applies `commands` in order to the `locked` accounts (those of every command that exist), as
 * one unit: each command sees the balances the ones before it left, a refused command changes
 * nothing, and a list of one is exactly one command applied alone. Transfers are stamped `at`.
 * Pure: the caller writes the changes and commits them together, or not at all.
 */
export function applyBatch(locked: ReadonlyMap<AccountId, Account>, commands: readonly Command[], at: Date): BatchResult {
  const current = new Map(locked)
  const changed = new Map<AccountId, AccountChange>()
  const keep = (account: Account, createdBy = changed.get(account.id)?.createdBy) => {
    // An account the batch opened has no locked state, before its first change or after it.
    changed.set(account.id, { before: locked.get(account.id), after: account, ...(createdBy === undefined ? {} : { createdBy }) })
    current.set(account.id, account)
  }

  const outcomes = commands.map((command): Outcome => {
    if (command.kind === 'open-account') {
      if (current.has(command.accountId)) return refused(new AccountExists(command.accountId))
      const account: Account = { id: command.accountId, balance: command.initialBalance, version: 0 }
      keep(account, command.createdBy)
      return { kind: 'account-opened', account }
    }
    const source = current.get(command.sourceAccountId)
    if (!source) return refused(new AccountNotFound(command.sourceAccountId))
    const destination = current.get(command.destinationAccountId)
    if (!destination) return refused(new AccountNotFound(command.destinationAccountId))
    const moved = moveMoney(source, destination, command.amount)
    if (moved instanceof DomainError) return refused(moved)
    keep(moved.source)
    keep(moved.destination)
    const transfer: Transfer = {
      id: command.transferId,
      sourceAccountId: source.id,
      destinationAccountId: destination.id,
      amount: command.amount,
      createdAt: at,
      createdBy: command.createdBy ?? null,
    }
    return { kind: 'transferred', transfer, ...moved }
  })
  return { outcomes, changes: [...changed.values()] }
}

function refused(error: DomainError): Outcome {
  return { kind: 'refused', error }
}
