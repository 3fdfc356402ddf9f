import type { Kysely } from 'kysely'
import { type AccountRange, formatAccountRanges, parseAccountRanges, parseScopes } from '../../domain/access.js'
import type { ApiKey, ApiKeyRecords, StoredApiKey } from '../../ports/api-keys.js'
import { translate } from './driver-errors.js'
import type { ApiKeysTable, Database } from './tables.js'

type KeyRow = Omit<ApiKeysTable, 'secret_digest'>

const COLUMNS = ['api_key_id', 'name', 'scopes', 'accounts', 'created_at', 'revoked_at'] as const

function rowToKey(row: KeyRow): ApiKey {
  const scopes = parseScopes(row.scopes)
  const accounts = row.accounts === null ? undefined : parseAccountRanges(row.accounts)
  if (!Array.isArray(scopes) || (row.accounts !== null && !accounts)) throw new Error(`API key ${row.api_key_id} holds a grant that is not valid`)
  return {
    id: row.api_key_id,
    name: row.name,
    grant: { scopes: new Set(scopes), accounts: accounts as AccountRange[] | undefined },
    createdAt: row.created_at,
    revokedAt: row.revoked_at ?? undefined,
  }
}

export class MariadbApiKeyRecords implements ApiKeyRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async find(id: string): Promise<StoredApiKey | undefined> {
    try {
      const row = await this.db.selectFrom('api_keys').select([...COLUMNS, 'secret_digest']).where('api_key_id', '=', id).executeTakeFirst()
      return row && { ...rowToKey(row), digest: row.secret_digest }
    } catch (error) {
      throw translate(error)
    }
  }

  async insert(key: StoredApiKey): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        api_key_id: key.id,
        name: key.name,
        secret_digest: Buffer.from(key.digest),
        scopes: [...key.grant.scopes].join(','),
        accounts: key.grant.accounts ? formatAccountRanges(key.grant.accounts) : null,
        created_at: key.createdAt,
        revoked_at: null,
      })
      .execute()
  }

  async list(): Promise<ApiKey[]> {
    const rows = await this.db.selectFrom('api_keys').select(COLUMNS).orderBy('created_at').orderBy('api_key_id').execute()
    return rows.map(rowToKey)
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('api_key_id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    return result.numUpdatedRows > 0n
  }
}
