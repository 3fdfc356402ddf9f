import { parseArgs } from 'node:util'
import { formatAccountRanges, parseAccountRanges, parseScopes, SCOPES } from '../../domain/access.js'
import type { CreateApiKey } from '../../app/create-api-key.js'
import type { RevokeApiKey } from '../../app/revoke-api-key.js'
import type { ApiKey } from '../../ports/api-keys.js'

export interface KeysCommandDeps {
  create: CreateApiKey
  list(): Promise<ApiKey[]>
  revoke: RevokeApiKey
  /** Where the key itself goes (stdout): alone on its line, so that `$(npm run --silent keys -- create)` captures it. */
  out(line: string): void
  /** Everything else (stderr). */
  err(line: string): void
  /** How long instances trust a key they read (AUTH_KEY_CACHE_MS), to say when a revocation is in force. */
  keyCacheMs: number
}

export const KEYS_USAGE = `npm run keys -- <command>   (or: task keys -- <command>)

  create [--name NAME] [--scopes LIST] [--accounts LIST]
      Prints a new key on stdout, once: it is stored only as a SHA-256 digest.
      --scopes    comma-separated, of ${SCOPES.join(', ')} (default: all)
      --accounts  ids and ranges the key may read, open and debit, e.g. 1001,2000-2999 (default: every account)
  list
      Every key: id, name, scopes, accounts, created, revoked. Never a secret.
  revoke ID
      Every instance refuses the key within a second.`

/** `keys create|list|revoke`: what an operator does with API keys. Resolves the exit code. */
export async function keysCommand(argv: readonly string[], deps: KeysCommandDeps): Promise<number> {
  const [command, ...rest] = argv
  const usage = (problem: string) => {
    deps.err(`${problem}\n\n${KEYS_USAGE}`)
    return 2
  }
  if (command === 'create') {
    let values: { name?: string | undefined; scopes?: string | undefined; accounts?: string | undefined }
    try {
      ;({ values } = parseArgs({ args: [...rest], options: { name: { type: 'string' }, scopes: { type: 'string' }, accounts: { type: 'string' } }, strict: true }))
    } catch (error) {
      return usage((error as Error).message)
    }
    const name = values.name ?? 'unnamed'
    if (name.length > 100) return usage('--name takes at most 100 characters')
    const scopes = values.scopes === undefined ? [...SCOPES] : parseScopes(values.scopes)
    if (!Array.isArray(scopes)) return usage(`--scopes: unknown scope "${scopes.unknown}"`)
    const accounts = values.accounts === undefined ? undefined : parseAccountRanges(values.accounts)
    if (values.accounts !== undefined && !accounts) return usage(`--accounts must be ids and ranges such as 1001,2000-2999; got "${values.accounts}"`)
    const { key, text } = await deps.create({ name, grant: { scopes: new Set(scopes), accounts } })
    deps.out(text)
    deps.err(`created API key ${key.id} ("${name}"): ${describe(key)}. It is shown this once; keep it secret.`)
    return 0
  }
  if (command === 'list' && rest.length === 0) {
    const keys = await deps.list()
    const rows = [['id', 'name', 'scopes', 'accounts', 'created', 'revoked']]
    for (const key of keys) {
      rows.push([
        key.id,
        key.name,
        [...key.grant.scopes].join(','),
        key.grant.accounts ? formatAccountRanges(key.grant.accounts) : 'all',
        key.createdAt.toISOString(),
        key.revokedAt?.toISOString() ?? '-',
      ])
    }
    const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? []
    for (const row of rows) deps.out(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
    return 0
  }
  if (command === 'revoke' && rest.length === 1) {
    const id = rest[0] as string
    if (!(await deps.revoke(id))) {
      deps.err(`no API key ${id} that is not revoked already`)
      return 1
    }
    deps.err(`revoked API key ${id}: every instance refuses it within ${deps.keyCacheMs} ms`)
    return 0
  }
  return usage(command === undefined ? 'keys needs a command' : `keys: unknown command or arguments "${argv.join(' ')}"`)
}

function describe(key: ApiKey): string {
  const accounts = key.grant.accounts ? `accounts ${formatAccountRanges(key.grant.accounts)}` : 'every account'
  return `${[...key.grant.scopes].join(', ')} on ${accounts}`
}
