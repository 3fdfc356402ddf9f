/** One SQL statement with `?` placeholders and their values, which mysql2 escapes. */
export interface Statement {
  sql: string
  parameters: readonly unknown[]
}

/** `?, ?, …` for `count` values. */
export const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ')

/**
 * `CASE <column> WHEN ? THEN ? … END` mapping each row's key to a value, for writing many rows
 * by one UPDATE (or checking them by one SELECT).
 */
export function caseOf<T>(column: string, rows: readonly T[], key: (row: T) => unknown, value: (row: T) => unknown): Statement {
  return {
    sql: `CASE ${column} ${rows.map(() => 'WHEN ? THEN ?').join(' ')} END`,
    parameters: rows.flatMap((row) => [key(row), value(row)]),
  }
}
