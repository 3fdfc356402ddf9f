import type { Grant } from '../domain/access.js'

/** A key as an operator sees it: never its secret, nor the digest of it. */
export interface ApiKey {
  /** Public, short, in the key's text itself: what logs, spans and records name the key by. */
  readonly id: string
  readonly name: string
  readonly grant: Grant
  readonly createdAt: Date
  readonly revokedAt: Date | undefined
}

/** A key as stored: with the digest of its secret text, from which the text cannot be recovered. */
export interface StoredApiKey extends ApiKey {
  readonly digest: Uint8Array
}

/** The table of API keys. Keys are never deleted, only revoked, so that records keep naming them. */
export interface ApiKeyRecords {
  /** The key with this id, revoked or not; undefined when there is none. */
  find(id: string): Promise<StoredApiKey | undefined>

  /** Stores a new key. Throws when its id is taken (the caller issues another). */
  insert(key: StoredApiKey): Promise<void>

  /** Every key, oldest first. */
  list(): Promise<ApiKey[]>

  /** Marks the key revoked at `at`; false when no key has this id or it was revoked before. */
  revoke(id: string, at: Date): Promise<boolean>
}

/**
 * Making and checking the text of keys. The text carries the key's id in clear and a random
 * secret of at least 128 bits; only its digest (SHA-256) is ever stored.
 */
export interface ApiKeySecrets {
  /** A new key: its id, the text to hand out once, and the digest to store. */
  issue(): { id: string; text: string; digest: Uint8Array }

  /** The id a presented text names when it has the shape of a key; undefined otherwise. No hash. */
  idOf(text: string): string | undefined

  /** The digest that is stored for a key with this text. */
  digest(text: string): Uint8Array

  /** Whether two digests are equal, in a time that does not depend on where they differ. */
  same(a: Uint8Array, b: Uint8Array): boolean

  /** Whether two texts are equal, in a time that does not depend on where they differ. */
  sameText(a: string, b: string): boolean
}
