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

export const TransferView = Type.Object({
  transfer_id: Type.String({ format: 'uuid', description: 'UUIDv7' }),
  source_account_id: AccountId,
  destination_account_id: AccountId,
  amount: Amount,
  created_at: Type.String({ format: 'date-time' }),
})

/** RFC 9457 problem details, as every error of this service is answered. */
export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
  account_id: Type.Optional(AccountId),
})
