import { setTimeout as sleep } from 'node:timers/promises'
import { CompiledQuery, type Kysely } from 'kysely'
import type { Account, AccountId } from '../../domain/account.js'
import { AccountExists } from '../../domain/errors.js'
import { Money } from '../../domain/money.js'
import type { Transfer } from '../../domain/transfer.js'
import type { AccountStore, AccountTransaction } from '../../ports/account-store.js'
import { IdempotencyKeyInUse, IdempotencyKeyTaken, StoreOutcomeUnknown, StoreUnavailable } from '../../ports/errors.js'
import type { StoredResponse } from '../../ports/idempotency.js'
import { BatchedTransaction } from './batched-transaction.js'
import { isDuplicateKey, isLockConflict, isLockWaitTimeout, isServerError, translate } from './driver-errors.js'
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

/** `?, ?, …` for `count` values. */
const placeholders = (count: number) => Array.from({ length: count }, () => '?').join(', ')

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
      try {
        return await this.db.connection().execute(async (connection) => {
          const batch = new BatchedTransaction(connection)
          try {
            const result = await work(new MariadbAccountTransaction(batch))
            await batch.commit()
            return result
          } catch (error) {
            await batch.rollback()
            throw error
          }
        })
      } catch (error) {
        if (error instanceof StoreOutcomeUnknown) throw error
        if (!isLockConflict(error)) throw translate(error)
        if (attempt >= this.retry.attempts) {
          throw new StoreUnavailable(`Lock conflict persisted after ${attempt} attempts`, { cause: error })
        }
        // Full jitter, so the transactions that collided do not collide again in step.
        await sleep(Math.random() * this.retry.baseDelayMs * 2 ** (attempt - 1))
      }
    }
  }

  async recordTransferIfUnchanged(transfer: Transfer, [source, destination]: readonly [Account, Account]): Promise<boolean> {
    const call = CompiledQuery.raw('CALL transfer_if_unchanged(?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      transfer.id,
      ...[source, destination].flatMap((account) => [account.id, account.version - 1, account.balance.toString()]),
      transfer.amount.toString(),
      transfer.createdAt,
    ])
    try {
      return await this.db.connection().execute(async (connection) => {
        try {
          // mysql2 answers a CALL with the procedure's result set, then the CALL's own status.
          const { rows } = await connection.executeQuery(call)
          const [answer] = rows as unknown as [{ applied: number }[]]
          return answer[0]?.applied === 1
        } catch (error) {
          // Sent on a connection that then failed: the procedure may or may not have committed.
          if (!isServerError(error)) throw new StoreOutcomeUnknown('The transfer was sent but its answer was lost', { cause: error })
          throw error
        }
      })
    } catch (error) {
      if (error instanceof StoreOutcomeUnknown) throw error
      // The procedure rolled back; the locking path waits and retries where this one gives way.
      if (isLockConflict(error)) return false
      throw translate(error)
    }
  }
}

/**
 * Hot-path statements are written as SQL with placeholders rather than built per call: they run
 * on every transfer, and they are short enough to read as they are.
 */
class MariadbAccountTransaction implements AccountTransaction {
  constructor(private readonly batch: BatchedTransaction) {}

  async lockAccounts(ids: readonly AccountId[]): Promise<Map<AccountId, Account>> {
    // One statement; InnoDB walks the primary key in ascending order, so locks are taken in that order.
    const sorted = [...ids].sort((a, b) => a - b)
    const rows = await this.batch.run<AccountRow>({
      sql: `SELECT account_id, balance, version FROM accounts WHERE account_id IN (${placeholders(sorted.length)}) ORDER BY account_id FOR UPDATE`,
      parameters: sorted,
    })
    return new Map(rows.map((row) => [Number(row.account_id), rowToAccount(row)]))
  }

  async recordTransfer(transfer: Transfer, accounts: readonly Account[]): Promise<void> {
    // Both balances in one UPDATE, sent with the INSERT and the COMMIT: nothing here needs an answer.
    const cases = accounts.map(() => 'WHEN ? THEN ?').join(' ')
    this.batch.defer({
      sql: `UPDATE accounts SET balance = CASE account_id ${cases} END, version = CASE account_id ${cases} END WHERE account_id IN (${placeholders(accounts.length)})`,
      parameters: [
        ...accounts.flatMap((account) => [account.id, account.balance.toString()]),
        ...accounts.flatMap((account) => [account.id, account.version]),
        ...accounts.map((account) => account.id),
      ],
    })
    this.batch.defer({
      sql: 'INSERT INTO transfers (transfer_id, source_account_id, destination_account_id, amount, created_at) VALUES (?, ?, ?, ?, ?)',
      parameters: [transfer.id, transfer.sourceAccountId, transfer.destinationAccountId, transfer.amount.toString(), transfer.createdAt],
    })
  }

  async createAccount(account: Account): Promise<void> {
    try {
      // Sent now, not deferred: a taken id must be known before the transaction decides what to save.
      await this.batch.run({
        sql: 'INSERT INTO accounts (account_id, balance, version) VALUES (?, ?, ?)',
        parameters: [account.id, account.balance.toString(), account.version],
      })
    } catch (error) {
      if (isDuplicateKey(error)) throw new AccountExists(account.id)
      throw error
    }
  }

  async claimIdempotencyKey(claim: { key: string; fingerprint: string; expiresAt: Date }): Promise<void> {
    try {
      // Against an uncommitted row of the same key, InnoDB makes this INSERT wait for that transaction.
      await this.batch.run({
        sql: 'INSERT INTO idempotency_keys (idempotency_key, fingerprint, expires_at) VALUES (?, ?, ?)',
        parameters: [claim.key, claim.fingerprint, claim.expiresAt],
      })
    } catch (error) {
      if (isDuplicateKey(error)) throw new IdempotencyKeyTaken('Idempotency key already committed')
      if (isLockWaitTimeout(error)) throw new IdempotencyKeyInUse('A request with this Idempotency-Key is still running')
      throw error
    }
  }

  async saveIdempotentResponse(key: string, response: StoredResponse): Promise<void> {
    this.batch.defer({
      sql: 'UPDATE idempotency_keys SET response_status = ?, response_body = ? WHERE idempotency_key = ?',
      parameters: [response.status, response.body, key],
    })
  }
}
