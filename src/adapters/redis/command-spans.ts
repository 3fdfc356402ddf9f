import { ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions'
import { Redis } from 'ioredis'
import { endClientSpan, startClientSpan } from '../telemetry/client-spans.js'
import type { RedisClient } from './client.js'

/**
 * Runs one Redis command in a CLIENT span when its request is traced. The span carries the
 * command's name only: keys and arguments (balances) have no place in a trace.
 */
export async function commandSpan<T>(redis: RedisClient, command: string, run: () => Promise<T>): Promise<T> {
  // A Cluster client has no one server; a Redis found through sentinels has the master it connected to.
  const options = redis instanceof Redis ? redis.options : {}
  const span = startClientSpan(() => ({
    name: command,
    attributes: {
      [ATTR_DB_SYSTEM_NAME]: 'redis',
      [ATTR_DB_OPERATION_NAME]: command,
      ...('host' in options && options.host ? { [ATTR_SERVER_ADDRESS]: options.host } : {}),
      ...('port' in options && options.port ? { [ATTR_SERVER_PORT]: options.port } : {}),
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
