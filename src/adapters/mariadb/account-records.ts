import type { Kysely } from 'kysely'
import type { Account, AccountId } from '../../domain/account.js'
import type { AccountRecords } from '../../ports/account-records.js'
import { ACCOUNT_FIELDS, rowToAccount } from './account-rows.js'
import { translate } from './driver-errors.js'
import type { Database } from './tables.js'

export class MariadbAccountRecords implements AccountRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async find(id: AccountId): Promise<Account | undefined> {
    try {
      const row = await this.db
        .selectFrom('accounts')
        .select(ACCOUNT_FIELDS)
        .where('account_id', '=', id)
        .executeTakeFirst()
      return row && rowToAccount(row)
    } catch (error) {
      throw translate(error)
    }
  }
}
