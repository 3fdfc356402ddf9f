import { Type } from 'typebox'
import { MONEY_FORMAT } from '../../domain/money.js'
import { DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, MIN_TIMEOUT_S } from '../../domain/pending.js'

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

export const AccountView = Type.Object({
  account_id: AccountId,
  balance: { ...Balance, description: 'posted: what every posted transfer left' },
  pending_debits: { ...Balance, description: 'held by pending transfers out of the account' },
  pending_credits: { ...Balance, description: 'promised by pending transfers into the account' },
  available: { ...Balance, description: 'balance − pending_debits: what a transfer out may take' },
})

export const TransferBody = Type.Object(
  {
    source_account_id: AccountId,
    destination_account_id: AccountId,
    amount: Amount,
    pending: Type.Optional(Type.Boolean({ description: 'true: reserve the amount until posted, voided or expired' })),
    timeout_s: Type.Optional(
      Type.Integer({
        minimum: MIN_TIMEOUT_S,
        maximum: MAX_TIMEOUT_S,
        description: `with pending: seconds until it expires, from ${MIN_TIMEOUT_S} to ${MAX_TIMEOUT_S} (default ${DEFAULT_TIMEOUT_S})`,
      }),
    ),
  },
  { additionalProperties: false },
)

export const TransferBatchBody = Type.Object(
  {
    atomic: Type.Boolean({ description: 'true: all are applied or none; false: each on its own' }),
    transfers: Type.Array(TransferBody, { minItems: 1, maxItems: 1000, description: 'from 1 to 1000 transfers, plain or pending, applied in this order' }),
  },
  { additionalProperties: false },
)

export const PostPendingBody = Type.Object(
  { amount: Type.Optional({ ...Amount, description: `${MONEY_FORMAT}, greater than zero and at most the pending amount (default: all of it)` }) },
  { additionalProperties: false },
)

export const VoidPendingBody = Type.Object({}, { additionalProperties: false })

const CreatedBy = Type.Union([Type.String({ pattern: '^[a-z2-7]{12}$' }), Type.Null()], {
  description: 'the id of the API key that made it (never the key itself); null when authentication was off',
})

const TransferFields = {
  transfer_id: Type.String({ format: 'uuid', description: 'UUIDv7' }),
  source_account_id: AccountId,
  destination_account_id: AccountId,
  amount: Amount,
  created_at: Type.String({ format: 'date-time' }),
  created_by: CreatedBy,
  status: Type.Union([Type.Literal('posted'), Type.Literal('pending'), Type.Literal('voided'), Type.Literal('expired'), Type.Literal('opening')], {
    description:
      'posted: money moved (a plain transfer or a post); pending: reserved; a pending transfer then shows posted, voided or expired; ' +
      'a void shows voided; opening: the initial balance of an account (source and destination are both that account)',
  }),
  expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'for a pending transfer (whatever became of it): when it expires unless posted or voided first; null for every other',
  }),
  pending_transfer_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
    description: 'for a post or void: the pending transfer it resolved; null for every other',
  }),
}

export const TransferView = Type.Object(TransferFields)

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

export const AccountQuery = Type.Object(
  {
    at: Type.Optional(
      Type.String({ format: 'date-time', description: 'an RFC 3339 time such as 2026-11-22T10:00:00Z: the balance as of that instant' }),
    ),
  },
  { additionalProperties: false },
)

export const BalanceAtView = Type.Object({
  account_id: AccountId,
  balance: { ...Balance, description: 'posted, as of `at`: what the last transfer at or before it left' },
  at: Type.String({ format: 'date-time' }),
})

export const HistoryView = Type.Object({
  items: Type.Array(
    Type.Object({
      ...TransferFields,
      direction: Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')]),
      balance_after: Type.Union([Balance, Type.Null()], {
        description: "the listed account's posted balance after this transfer; null for transfers older than balance history",
      }),
    }),
  ),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
})

/** A refusal inside a body that lists several results. */
const ItemProblem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({ description: 'the stable code, as the same transfer alone would be refused with' }),
  account_id: Type.Optional(AccountId),
})

export const TransferBatchView = Type.Object({
  atomic: Type.Boolean(),
  results: Type.Array(
    Type.Union([
      Type.Object({ index: Type.Integer({ minimum: 0 }), status: Type.Literal(201), transfer: TransferView }),
      Type.Object({ index: Type.Integer({ minimum: 0 }), status: Type.Integer({ minimum: 400 }), problem: ItemProblem }),
    ]),
    { description: 'one per transfer sent, in order' },
  ),
})
