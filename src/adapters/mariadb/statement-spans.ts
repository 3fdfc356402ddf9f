import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  DB_SYSTEM_NAME_VALUE_MARIADB,
} from '@opentelemetry/semantic-conventions'
import type { ClientCall } from '../telemetry/client-spans.js'

/** What mysql2 keeps of the connection settings that a span reports. */
interface ConnectionConfig {
  host?: string
  port?: number
  database?: string
}

/**
 * The span of one round trip. Its name lists the leading keyword of each statement it carries
 * (`SET; REPLACE; SELECT`, `INSERT; INSERT; IF; COMMIT; SELECT; SET`); its attributes are the
 * semantic conventions'. The SQL text is safe to export: every value travels as a placeholder
 * parameter, and parameters, which carry balances, are never recorded.
 */
export function describeStatement(sql: string, config: object): ClientCall {
  const { host, port, database } = config as ConnectionConfig
  // Statements of one packet are joined by ';' and a line break (MariadbTransaction); a compound
  // statement's own ';' (IF … THEN SIGNAL …; END IF) has none after it.
  const name = sql
    .split(/;\s*\n/)
    // A statement run with its own settings (SET STATEMENT … FOR SELECT …) is named for what it runs.
    .map((statement) => statement.trim().replace(/^SET STATEMENT .*? FOR /is, '').split(/\s/, 1)[0]?.toUpperCase() ?? '')
    .filter(Boolean)
    .join('; ')
  return {
    name,
    attributes: {
      [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_MARIADB,
      [ATTR_DB_QUERY_TEXT]: sql,
      ...(database ? { [ATTR_DB_NAMESPACE]: database } : {}),
      ...(host ? { [ATTR_SERVER_ADDRESS]: host } : {}),
      ...(port ? { [ATTR_SERVER_PORT]: port } : {}),
    },
  }
}
