import { type Account, type AccountId, openedAccount } from './account.js'
import { AccountExists, AccountNotFound, BatchItemRefused, DomainError, TransferNotFound } from './errors.js'
import type { Money } from './money.js'
import { checkExpirable, checkResolvable, postedAmount, release } from './pending.js'
import { moveMoney, reserveMoney, type Transfer } from './transfer.js'

export interface OpenAccountCommand {
  readonly kind: 'open-account'
  /** The id of its opening entry, the record of the initial balance. */
  readonly entryId: string
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

/** Reserves the amount instead of moving it, until posted, voided, or `timeoutS` seconds have passed. */
export interface PendingTransferCommand extends Omit<TransferCommand, 'kind'> {
  readonly kind: 'pending-transfer'
  readonly timeoutS: number
}

/**
 * Resolves pending transfer `pendingTransferId`, whose accounts the caller read before (a
 * transfer's accounts never change), so that they are locked with the batch's others.
 */
interface Resolution {
  readonly pendingTransferId: string
  readonly sourceAccountId: AccountId
  readonly destinationAccountId: AccountId
}

/** Moves the reserved money (`amount` of it, all when undefined) and releases the rest; recorded as transfer `transferId`. */
export interface PostPendingCommand extends Resolution {
  readonly kind: 'post-pending'
  readonly transferId: string
  readonly amount?: Money
  readonly createdBy?: string
}

/** Releases the reservation; recorded as transfer `transferId`. */
export interface VoidPendingCommand extends Resolution {
  readonly kind: 'void-pending'
  readonly transferId: string
  readonly createdBy?: string
}

/** Releases the reservation of a pending transfer past its timeout (the sweep's command); no record of its own. */
export interface ExpirePendingCommand extends Resolution {
  readonly kind: 'expire-pending'
}

/**
 * Transfers (plain or pending) that one request sends together; they stay together in one
 * transaction, in order. `atomic`: all are applied or none (the first refusal refuses the whole,
 * as BatchItemRefused); otherwise each is applied or refused on its own.
 */
export interface TransferBatchCommand {
  readonly kind: 'transfer-batch'
  readonly atomic: boolean
  readonly items: readonly (TransferCommand | PendingTransferCommand)[]
}

/** One change a batch can carry. */
export type Command =
  | OpenAccountCommand
  | TransferCommand
  | PendingTransferCommand
  | PostPendingCommand
  | VoidPendingCommand
  | ExpirePendingCommand
  | TransferBatchCommand

export interface AccountOpened {
  readonly kind: 'account-opened'
  readonly account: Account
  /** The opening entry: the initial balance, the account's first record. */
  readonly entry: Transfer
}

/** A transfer applied, with both accounts as it left them. */
export interface Transferred {
  readonly kind: 'transferred'
  readonly transfer: Transfer
  readonly source: Account
  readonly destination: Account
}

/** A pending transfer made: the amount is reserved on both accounts, as they are left. */
export interface Reserved {
  readonly kind: 'reserved'
  readonly transfer: Transfer
  readonly source: Account
  readonly destination: Account
}

/** A pending transfer resolved by a post or a void: the record of it, the pending transfer as it is left, and both accounts. */
export interface Resolved<K extends 'posted' | 'voided'> {
  readonly kind: K
  readonly transfer: Transfer
  readonly pending: Transfer
  readonly source: Account
  readonly destination: Account
}

/** A pending transfer released at its timeout, and both accounts as it left them. */
export interface Expired {
  readonly kind: 'expired'
  readonly pending: Transfer
  readonly source: Account
  readonly destination: Account
}

/** A batch of transfers applied: one outcome per item, in order (with `atomic`, every one applied). */
export interface BatchApplied {
  readonly kind: 'batch-applied'
  readonly atomic: boolean
  readonly outcomes: readonly (Transferred | Reserved | Refused)[]
}

export interface Refused {
  readonly kind: 'refused'
  readonly error: DomainError
}

/** What became of one command: applied, or refused with the rule it broke. */
export type Outcome =
  | BatchApplied
  | AccountOpened
  | Transferred
  | Reserved
  | Resolved<'posted'>
  | Resolved<'voided'>
  | Expired
  | Refused

/** An outcome of a command that was applied. */
export type Applied = Exclude<Outcome, { kind: 'refused' }>

/** The outcome a command has when it is applied. */
export type AppliedOutcomeOf<C extends Command> = {
  'open-account': AccountOpened
  transfer: Transferred
  'pending-transfer': Reserved
  'post-pending': Resolved<'posted'>
  'void-pending': Resolved<'voided'>
  'expire-pending': Expired
  'transfer-batch': BatchApplied
}[C['kind']]

/** The transfer records an outcome makes. */
export function recordsOf(outcome: Outcome): Transfer[] {
  if (outcome.kind === 'batch-applied') return outcome.outcomes.flatMap(recordsOf)
  if (outcome.kind === 'account-opened') return [outcome.entry]
  return 'transfer' in outcome ? [outcome.transfer] : []
}

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
  /** Every pending transfer an applied command resolved, once, in its final state. */
  readonly resolved: readonly Transfer[]
}

/** The accounts a command reads and writes; all of them must be locked before the batch is applied. */
export function accountsOf(command: Command): AccountId[] {
  if (command.kind === 'transfer-batch') return command.items.flatMap(accountsOf)
  return command.kind === 'open-account' ? [command.accountId] : [command.sourceAccountId, command.destinationAccountId]
}

/** The pending transfers a command resolves; they must be locked too, after its accounts. */
export function pendingTransfersOf(command: Command): string[] {
  return 'pendingTransferId' in command ? [command.pendingTransferId] : []
}

/**
 * Applies `commands` in order to the `locked` accounts (those of every command that exist) and
 * the `pending` transfers (those the commands resolve that exist), as one unit: each command
 * sees the state the ones before it left, a refused command changes nothing, and a list of one is
 * exactly one command applied alone. Records are stamped `at`, which also decides expiry.
 * Pure: the caller writes the changes and commits them together, or not at all.
 */
export function applyBatch(
  locked: ReadonlyMap<AccountId, Account>,
  commands: readonly Command[],
  at: Date,
  pending: ReadonlyMap<string, Transfer> = new Map(),
): BatchResult {
  const current = new Map(locked)
  const changed = new Map<AccountId, AccountChange>()
  const pendingNow = new Map(pending)
  const resolved = new Map<string, Transfer>()
  const keep = (account: Account, createdBy = changed.get(account.id)?.createdBy) => {
    // An account the batch opened has no locked state, before its first change or after it.
    changed.set(account.id, { before: locked.get(account.id), after: account, ...(createdBy === undefined ? {} : { createdBy }) })
    current.set(account.id, account)
  }
  const keepBoth = (moved: { source: Account; destination: Account }) => {
    keep(moved.source)
    keep(moved.destination)
    return moved
  }
  type Fields = Omit<Transfer, 'id' | 'createdAt' | 'createdBy' | 'sourceBalanceAfter' | 'destinationBalanceAfter'>
  /** A record of `command`, with the balances `moved` left. */
  const record = (command: { transferId: string; createdBy?: string }, fields: Fields, moved: { source: Account; destination: Account }): Transfer => ({
    id: command.transferId,
    ...fields,
    createdAt: at,
    createdBy: command.createdBy ?? null,
    sourceBalanceAfter: moved.source.balance,
    destinationBalanceAfter: moved.destination.balance,
  })

  // An atomic batch is undone by putting back the state from before its first item.
  const checkpoint = () => [new Map(current), new Map(changed), new Map(pendingNow), new Map(resolved)] as const
  const restore = (saved: ReturnType<typeof checkpoint>) => {
    for (const [map, copy] of [
      [current, saved[0]],
      [changed, saved[1]],
      [pendingNow, saved[2]],
      [resolved, saved[3]],
    ] as [Map<unknown, unknown>, Map<unknown, unknown>][]) {
      map.clear()
      for (const [key, value] of copy) map.set(key, value)
    }
  }
  const applyItem = (item: TransferCommand | PendingTransferCommand) => apply(item) as Transferred | Reserved | Refused

  const apply = (command: Command): Outcome => {
    if (command.kind === 'transfer-batch') {
      if (!command.atomic) return { kind: 'batch-applied', atomic: false, outcomes: command.items.map(applyItem) }
      const saved = checkpoint()
      const outcomes: (Transferred | Reserved)[] = []
      for (const [index, item] of command.items.entries()) {
        const outcome = applyItem(item)
        if (outcome.kind === 'refused') {
          restore(saved)
          return refused(new BatchItemRefused(index, outcome.error))
        }
        outcomes.push(outcome)
      }
      return { kind: 'batch-applied', atomic: true, outcomes }
    }
    if (command.kind === 'open-account') {
      if (current.has(command.accountId)) return refused(new AccountExists(command.accountId))
      const account = openedAccount(command.accountId, command.initialBalance)
      keep(account, command.createdBy)
      const entry = record(
        { transferId: command.entryId, ...(command.createdBy === undefined ? {} : { createdBy: command.createdBy }) },
        { sourceAccountId: account.id, destinationAccountId: account.id, amount: account.balance, status: 'opening', expiresAt: null, pendingTransferId: null },
        { source: account, destination: account },
      )
      return { kind: 'account-opened', account, entry }
    }
    const source = current.get(command.sourceAccountId)
    if (!source) return refused(new AccountNotFound(command.sourceAccountId))
    const destination = current.get(command.destinationAccountId)
    if (!destination) return refused(new AccountNotFound(command.destinationAccountId))
    const accounts = { sourceAccountId: source.id, destinationAccountId: destination.id }

    if (command.kind === 'transfer' || command.kind === 'pending-transfer') {
      const reserving = command.kind === 'pending-transfer'
      const moved = (reserving ? reserveMoney : moveMoney)(source, destination, command.amount)
      if (moved instanceof DomainError) return refused(moved)
      keepBoth(moved)
      const transfer = record(command, {
        ...accounts,
        amount: command.amount,
        status: reserving ? 'pending' : 'posted',
        expiresAt: reserving ? new Date(at.getTime() + command.timeoutS * 1000) : null,
        pendingTransferId: null,
      }, moved)
      return { kind: reserving ? 'reserved' : 'transferred', transfer, ...moved }
    }

    const target = pendingNow.get(command.pendingTransferId)
    if (!target || target.sourceAccountId !== source.id || target.destinationAccountId !== destination.id) {
      return refused(new TransferNotFound(command.pendingTransferId))
    }
    if (command.kind === 'expire-pending') {
      const refusal = checkExpirable(target, at)
      if (refusal) return refused(refusal)
      const expired = resolve(target, 'expired')
      return { kind: 'expired', pending: expired, ...keepBoth(release(target, source, destination)) }
    }
    const refusal = checkResolvable(target, at)
    if (refusal) return refused(refusal)
    const posting = command.kind === 'post-pending'
    const amount = posting ? postedAmount(target, command.amount) : target.amount
    if (amount instanceof DomainError) return refused(amount)
    const moved = keepBoth(release(target, source, destination, posting ? amount : undefined))
    const status = posting ? 'posted' : 'voided'
    const transfer = record(command, { ...accounts, amount, status, expiresAt: null, pendingTransferId: target.id }, moved)
    const after = resolve(target, status)
    return posting ? { kind: 'posted', transfer, pending: after, ...moved } : { kind: 'voided', transfer, pending: after, ...moved }
  }
  const resolve = (target: Transfer, status: 'posted' | 'voided' | 'expired'): Transfer => {
    const after: Transfer = { ...target, status }
    pendingNow.set(after.id, after)
    resolved.set(after.id, after)
    return after
  }

  const outcomes = commands.map(apply)
  return { outcomes, changes: [...changed.values()], resolved: [...resolved.values()] }
}

/**
 * `command` with new ids for the records it makes, taken from `next` in the order it makes them.
 * The write path numbers each command this way once its accounts are locked, so that with ids
 * that increase (uuid v7 in one process) an account's records sort by (time, id) in the order
 * they were applied: a request that waited for a busy account is applied after later ones.
 */
export function renumbered(command: Command, next: () => string): Command {
  switch (command.kind) {
    case 'open-account':
      return { ...command, entryId: next() }
    case 'transfer-batch':
      return { ...command, items: command.items.map((item) => ({ ...item, transferId: next() })) }
    case 'expire-pending':
      return command
    default:
      return { ...command, transferId: next() }
  }
}

function refused(error: DomainError): Refused {
  return { kind: 'refused', error }
}
