import { type AccountId, isAccountId } from './account.js'

/** What a key may do, one scope per kind of route: reading or writing accounts, reading or making transfers. */
export const SCOPES = ['accounts:read', 'accounts:write', 'transfers:read', 'transfers:write'] as const
export type Scope = (typeof SCOPES)[number]

/** Account ids from `first` to `last`, both included. */
export interface AccountRange {
  readonly first: AccountId
  readonly last: AccountId
}

/**
 * What a caller may do: the scopes it holds, and the accounts it may read, open and debit, or
 * every account when `accounts` is undefined.
 */
export interface Grant {
  readonly scopes: ReadonlySet<Scope>
  readonly accounts: readonly AccountRange[] | undefined
}

/** Every scope on every account: authentication switched off. */
export const FULL_GRANT: Grant = Object.freeze({ scopes: new Set(SCOPES), accounts: undefined })

export function holds(grant: Grant, scope: Scope): boolean {
  return grant.scopes.has(scope)
}

/** Whether the grant reaches `accountId`: its ranges name it, or it has none. */
export function covers(grant: Grant, accountId: AccountId): boolean {
  return grant.accounts === undefined || grant.accounts.some((range) => accountId >= range.first && accountId <= range.last)
}

/** Scopes from `accounts:read,transfers:write`; the text of the first unknown one when one is. */
export function parseScopes(text: string): Scope[] | { unknown: string } {
  const names = text.split(',').map((name) => name.trim()).filter(Boolean)
  const unknown = names.find((name) => !(SCOPES as readonly string[]).includes(name))
  if (unknown !== undefined || names.length === 0) return { unknown: unknown ?? text }
  return SCOPES.filter((scope) => names.includes(scope))
}

/** Ranges from `1001,2000-2999`; undefined when the text is not such a list. */
export function parseAccountRanges(text: string): AccountRange[] | undefined {
  const parts = text.split(',').map((part) => part.trim())
  const ranges: AccountRange[] = []
  for (const part of parts) {
    const match = /^([1-9][0-9]*)(?:-([1-9][0-9]*))?$/.exec(part)
    if (!match) return undefined
    const first = Number(match[1])
    const last = Number(match[2] ?? match[1])
    if (!isAccountId(first) || !isAccountId(last) || last < first) return undefined
    ranges.push({ first, last })
  }
  return ranges.length > 0 ? ranges : undefined
}

/** The text parseAccountRanges reads back. */
export function formatAccountRanges(ranges: readonly AccountRange[]): string {
  return ranges.map(({ first, last }) => (first === last ? String(first) : `${first}-${last}`)).join(',')
}
