import { describe, expect, it } from 'vitest'
import { covers, formatAccountRanges, FULL_GRANT, holds, parseAccountRanges, parseScopes } from '../../src/domain/access.js'

describe('grants', () => {
  const grant = { scopes: new Set(['accounts:read'] as const), accounts: parseAccountRanges('1001,2000-2999') }

  it('cover the ids and ranges they name, and nothing else', () => {
    for (const id of [1001, 2000, 2500, 2999]) expect(covers(grant, id), String(id)).toBe(true)
    for (const id of [1, 1000, 1002, 1999, 3000]) expect(covers(grant, id), String(id)).toBe(false)
    expect(covers(FULL_GRANT, Number.MAX_SAFE_INTEGER)).toBe(true)
  })

  it('hold the scopes they name', () => {
    expect(holds(grant, 'accounts:read')).toBe(true)
    expect(holds(grant, 'transfers:write')).toBe(false)
  })
})

describe('parsing', () => {
  it('reads and writes account ranges', () => {
    expect(parseAccountRanges('1001, 2000-2999')).toEqual([
      { first: 1001, last: 1001 },
      { first: 2000, last: 2999 },
    ])
    expect(formatAccountRanges(parseAccountRanges('7,10-12') ?? [])).toBe('7,10-12')
    for (const bad of ['', 'a', '0', '5-3', '1-', '-1', '01', '9007199254740992', '1,,2']) expect(parseAccountRanges(bad), bad).toBeUndefined()
  })

  it('reads scopes, in their canonical order, and names an unknown one', () => {
    expect(parseScopes('transfers:write,accounts:read')).toEqual(['accounts:read', 'transfers:write'])
    expect(parseScopes('accounts:read,accounts:admin')).toEqual({ unknown: 'accounts:admin' })
    expect(parseScopes('')).toEqual({ unknown: '' })
  })
})
