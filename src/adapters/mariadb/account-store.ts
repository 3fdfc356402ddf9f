import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, type Transaction, sql } from 'kysely'
import type { Account, AccountId } from '../../domain/account.js'
import { AccountExists } from '../../domain/errors.js'
import { Money } from '../../domain/money.js'
import type { Transfer } from '../../domain/transfer.js'
import type { AccountStore, AccountTransaction } from '../../ports/account-store.js'
import type { StoredResponse } from '../../ports/idempotency.js'
import {
  IdempotencyKeyInUse,
  IdempotencyKeyTaken,
  StoreOutcomeUnknown,
  StoreUnavailable,
} from '../../ports/errors.js'
import { isDuplicateKey, isLockConflict, isLockWaitTimeout, translate } from './driver-errors.js'
import type { AccountsTable, Database } from './tables.js'

export interface RetryPolicy {
  /** Attempts of a transaction that keeps hitting deadlocks or lock-wait timeouts. */
  attempts: number
  /** Upper bound of the random pause before the next attempt, doubled each time. */
  baseDelayMs: number
}

type AccountRow = Pick<AccountsTable, 'account_id' | 'balance' | 'version'>

function rowToAccount(row: AccountRow): Account {
  const balance = Money.parse(row.balance)
  if (!balance) throw new Error(`Account ${row.account_id} holds a balance that is not a valid amount`)
  return { id: Number(row.account_id), balance, version: Number(row.version) }
}

export class MariadbAccountStore implements AccountStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly retry: RetryPolicy = { attempts: 3, baseDelayMs: 20 },
  ) {}

  async find(id: AccountId): Promise<Account | undefined> {
    try {
      const row = await this.db
        .selectFrom('accounts')
        .select(['account_id', 'balance', 'version'])
        .where('account_id', '=', id)
        .executeTakeFirst()
      return row && rowToAccount(row)
    } catch (error) {
      throw translate(error)
    }
  }

  async transaction<T>(work: (tx: AccountTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let committing = false
      try {
        // kysely sends BEGIN, and COMMIT or (on any error) an explicit ROLLBACK.
        return await this.db.transaction().execute(async (trx) => {
          const result = await work(new MariadbAccountTransaction(trx))
          committing = true
          return result
        })
      } catch (error) {
        // The COMMIT was sent and no answer came back: it may have been applied or not.
        if (committing) throw new StoreOutcomeUnknown('The commit was sent but its answer was lost', { cause: error })
        if (!isLockConflict(error)) throw translate(error)
        if (attempt >= this.retry.attempts) {
          throw new StoreUnavailable(`Lock conflict persisted after ${attempt} attempts`, { cause: error })
        }
        // Full jitter, so the transactions that collided do not collide again in step.
        await sleep(Math.random() * this.retry.baseDelayMs * 2 ** (attempt - 1))
      }
    }
  }
}

class MariadbAccountTransaction implements AccountTransaction {
  constructor(private readonly trx: Transaction<Database>) {}

  async lockAccounts(ids: readonly AccountId[]): Promise<Map<AccountId, Account>> {
    // One statement; InnoDB walks the primary key in ascending order, so locks are taken in that order.
    const rows = await this.trx
      .selectFrom('accounts')
      .select(['account_id', 'balance', 'version'])
      .where('account_id', 'in', [...ids].sort((a, b) => a - b))
      .orderBy('account_id')
      .forUpdate()
      .execute()
    return new Map(rows.map((row) => [Number(row.account_id), rowToAccount(row)]))
  }

  async recordTransfer(transfer: Transfer, accounts: readonly Account[]): Promise<void> {
    // Both balances in one UPDATE: one round trip instead of one per account.
    const ids = accounts.map((account) => account.id)
    const caseOf = <T extends string | number>(column: (account: Account) => T) =>
      sql<T>`CASE account_id ${sql.join(
        accounts.map((account) => sql`WHEN ${account.id} THEN ${column(account)}`),
        sql` `,
      )} END`
    await this.trx
      .updateTable('accounts')
      .set({
        balance: caseOf((account) => account.balance.toString()),
        version: caseOf((account) => account.version),
      })
      .where('account_id', 'in', ids)
      .execute()
    await this.trx
      .insertInto('transfers')
      .values({
        transfer_id: transfer.id,
        source_account_id: transfer.sourceAccountId,
        destination_account_id: transfer.destinationAccountId,
        amount: transfer.amount.toString(),
        created_at: transfer.createdAt,
      })
      .execute()
  }

  async createAccount(account: Account): Promise<void> {
    try {
      await this.trx
        .insertInto('accounts')
        .values({ account_id: account.id, balance: account.balance.toString(), version: account.version })
        .execute()
    } catch (error) {
      if (isDuplicateKey(error)) throw new AccountExists(account.id)
      throw error
    }
  }

  async claimIdempotencyKey(claim: { key: string; fingerprint: string; expiresAt: Date }): Promise<void> {
    try {
      // Against an uncommitted row of the same key, InnoDB makes this INSERT wait for that transaction.
      await this.trx
        .insertInto('idempotency_keys')
        .values({ idempotency_key: claim.key, fingerprint: claim.fingerprint, expires_at: claim.expiresAt })
        .execute()
    } catch (error) {
      if (isDuplicateKey(error)) throw new IdempotencyKeyTaken(`Idempotency key already committed`)
      if (isLockWaitTimeout(error)) throw new IdempotencyKeyInUse('A request with this Idempotency-Key is still running')
      throw error
    }
  }

  async saveIdempotentResponse(key: string, response: StoredResponse): Promise<void> {
    await this.trx
      .updateTable('idempotency_keys')
      .set({ response_status: response.status, response_body: response.body })
      .where('idempotency_key', '=', key)
      .execute()
  }
}
