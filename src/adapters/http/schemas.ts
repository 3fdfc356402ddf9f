import { Type } from 'typebox'
import { MONEY_FORMAT } from '../../domain/money.js'

// `description` doubles as the error message for a value that breaks the schema (see validation.ts).

const accountIdText = 'a JSON integer from 1 to 9007199254740991'
export const AccountId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: accountIdText })

/** Path ids arrive as text; the pattern admits the digits, the handler checks the numeric range. */
export const AccountIdParams = Type.Object(
  {
    account_id: Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'a positive integer of at most 16 digits' }),
  },
  { additionalProperties: false },
)

const MONEY_PATTERN = '^[0-9]{1,20}([.][0-9]{1,18})?$'
// Same as MONEY_PATTERN, minus every spelling of zero.
const POSITIVE_MONEY_PATTERN = '^(?![0]+([.][0]+)?$)[0-9]{1,20}([.][0-9]{1,18})?$'

export const Balance = Type.String({ pattern: MONEY_PATTERN, description: MONEY_FORMAT, examples: ['350'] })
export const Amount = Type.String({
  pattern: POSITIVE_MONEY_PATTERN,
  description: `${MONEY_FORMAT}, greater than zero`,
  examples: ['150'],
})

export const CreateAccountBody = Type.Object(
  { account_id: AccountId, initial_balance: Balance },
  { additionalProperties: false },
)

export const AccountView = Type.Object({ account_id: AccountId, balance: Balance })

export const TransferBody = Type.Object(
  { source_account_id: AccountId, destination_account_id: AccountId, amount: Amount },
  { additionalProperties: false },
)

const CreatedBy = Type.Union([Type.String({ pattern: '^[a-z2-7]{12}$' }), Type.Null()], {
  description: 'the id of the API key that made it (never the key itself); null when authentication was off',
})

export const TransferView = Type.Object({
  transfer_id: Type.String({ format: 'uuid', description: 'UUIDv7' }),
  source_account_id: AccountId,
  destination_account_id: AccountId,
  amount: Amount,
  created_at: Type.String({ format: 'date-time' }),
  created_by: CreatedBy,
})

export const TransferIdParams = Type.Object(
  {
    transfer_id: Type.String({
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      description: 'a UUID such as 019aab1c-4b91-7000-b107-b602d893984e',
    }),
  },
  { additionalProperties: false },
)

export const HistoryQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.String({ pattern: '^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$', description: 'an integer from 1 to 200 (default 50)' }),
    ),
    cursor: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'the next_cursor of the previous page, as given' }),
    ),
  },
  { additionalProperties: false },
)

export const HistoryView = Type.Object({
  items: Type.Array(
    Type.Object({
      transfer_id: Type.String({ format: 'uuid' }),
      source_account_id: AccountId,
      destination_account_id: AccountId,
      amount: Amount,
      created_at: Type.String({ format: 'date-time' }),
      created_by: CreatedBy,
      direction: Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')]),
    }),
  ),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
})
