/** Unique ids for new records. Ids sort by creation time (UUIDv7), which keeps index inserts at the end. */
export interface IdGenerator {
  next(): string
}
