import { FULL_GRANT, type Grant } from '../domain/access.js'
import type { ApiKeyRecords, ApiKeySecrets, StoredApiKey } from '../ports/api-keys.js'
import type { Clock } from '../ports/clock.js'

/** Who is calling: the key's id (null with authentication off) and what it may do. */
export interface Caller {
  readonly keyId: string | null
  readonly grant: Grant
}

/** The caller of every request when authentication is off. */
export const ANYONE: Caller = Object.freeze({ keyId: null, grant: FULL_GRANT })

/**
 * The caller a key's text proves, or undefined for a text that proves none (malformed, unknown,
 * wrong secret, revoked). Synchronous while the key's lookup is fresh; a promise when it must be
 * read. Throws StoreUnavailable when the key cannot be read: an unverified key is never let in.
 */
export type Authenticate = (text: string) => Caller | undefined | Promise<Caller | undefined>

export interface AuthenticateDeps {
  records: ApiKeyRecords
  secrets: ApiKeySecrets
  clock: Clock
  /**
   * How long a lookup is trusted, from the moment it was started: a key revoked meanwhile is
   * refused by every instance at most this long after the revocation committed.
   */
  lifetimeMs: number
  /** Lookups kept at most (unknown ids too); beyond it the oldest are forgotten. */
  maxEntries?: number
}

interface Lookup {
  readonly key: StoredApiKey | undefined
  readonly caller: Caller | undefined
  /** When the read that produced it was sent. */
  readonly startedAt: number
  /** The text last proven against the digest, so that the same text again costs a compare, not a hash. */
  proven?: string
}

/** Compared against when no key has the presented id, so that an unknown id takes the same path as a wrong secret. */
const DECOY = new Uint8Array(32)

/**
 * Checks keys against their stored digests, in constant time. The text last proven for a key is
 * kept with its lookup (in this process only, for the lookup's life), so that the same text again
 * costs a constant-time compare of its 60 characters instead of a SHA-256. Each instance keeps what it read of
 * a key for `lifetimeMs` (unknown ids too, so a flood of them reads each once), reads it again in
 * the background once half of that has passed, so requests rarely wait, and shares one read
 * between concurrent requests for the same key.
 */
export function authenticator(deps: AuthenticateDeps): Authenticate {
  const lookups = new Map<string, Lookup>()
  const reading = new Map<string, Promise<Lookup>>()
  const maxEntries = deps.maxEntries ?? 10_000

  const read = (id: string): Promise<Lookup> => {
    const running = reading.get(id)
    if (running) return running
    const startedAt = deps.clock.now().getTime()
    const flight = deps.records
      .find(id)
      .then((key): Lookup => {
        const lookup = { key, caller: key && !key.revokedAt ? { keyId: key.id, grant: key.grant } : undefined, startedAt }
        lookups.delete(id)
        if (lookups.size >= maxEntries) lookups.delete(lookups.keys().next().value as string)
        lookups.set(id, lookup)
        return lookup
      })
      .finally(() => reading.delete(id))
    reading.set(id, flight)
    return flight
  }

  const verify = (text: string, lookup: Lookup): Caller | undefined => {
    if (lookup.proven !== undefined && deps.secrets.sameText(text, lookup.proven)) return lookup.caller
    // Hashed and compared whatever the key: the time taken says nothing of whether the id exists.
    if (!deps.secrets.same(deps.secrets.digest(text), lookup.key?.digest ?? DECOY) || !lookup.caller) return undefined
    lookup.proven = text
    return lookup.caller
  }

  return (text) => {
    const id = deps.secrets.idOf(text)
    if (id === undefined) return undefined
    const lookup = lookups.get(id)
    const age = lookup ? deps.clock.now().getTime() - lookup.startedAt : Infinity
    if (lookup && age < deps.lifetimeMs) {
      // Half-way through its life: read it again now, so that no request waits when it expires.
      if (age >= deps.lifetimeMs / 2) read(id).catch(() => {})
      return verify(text, lookup)
    }
    return read(id).then((fresh) => verify(text, fresh))
  }
}
