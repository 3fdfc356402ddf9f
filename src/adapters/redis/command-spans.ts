import { ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions'
import type { Redis } from 'ioredis'
import { endClientSpan, startClientSpan } from '../telemetry/client-spans.js'

/**
 * Runs one Redis command in a CLIENT span when its request is traced. The span carries the
 * command's name only: keys and arguments (balances) have no place in a trace.
 */
export async function commandSpan<T>(redis: Redis, command: string, run: () => Promise<T>): Promise<T> {
  const span = startClientSpan(() => ({
    name: command,
    attributes: {
      [ATTR_DB_SYSTEM_NAME]: 'redis',
      [ATTR_DB_OPERATION_NAME]: command,
      ...(redis.options.host ? { [ATTR_SERVER_ADDRESS]: redis.options.host } : {}),
      ...(redis.options.port ? { [ATTR_SERVER_PORT]: redis.options.port } : {}),
    },
  }))
  if (!span) return run()
  try {
    const result = await run()
    endClientSpan(span)
    return result
  } catch (error) {
    endClientSpan(span, error)
    throw error
  }
}
