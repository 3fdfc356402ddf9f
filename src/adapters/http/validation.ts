import type { FastifySchemaValidationError, SchemaErrorDataVar } from 'fastify/types/schema.js'

interface ObjectSchema {
  description?: string
  pattern?: string
  properties?: object
  additionalProperties?: boolean
}

/**
 * Turns the first Ajv error into one sentence that says what would have been accepted. Ajv stops
 * at the first error (allErrors is off) and checks `required` before the fields, so a misspelt
 * field first shows as a missing one: the object itself (`data`, Ajv's verbose mode) is read for
 * unknown fields, and they are named too.
 */
export function describeSchemaError(errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  const error = errors[0]
  if (!error) return new Error(`${dataVar} is invalid`)
  const path = [dataVar, ...error.instancePath.split('/').filter(Boolean)].join('.')
  const params = error.params as Record<string, unknown>
  const { parentSchema: schema, data } = error as { parentSchema?: ObjectSchema; data?: unknown }
  const accepted = Object.keys(schema?.properties ?? {})

  if (error.keyword === 'additionalProperties') {
    return new Error(`${path} has an unknown field "${String(params.additionalProperty)}"; accepted fields: ${accepted.join(', ')}`)
  }
  if (error.keyword === 'required') {
    const missing = `${path}.${String(params.missingProperty)} is required`
    const closed = schema?.additionalProperties === false && isObject(data)
    const unknown = closed ? Object.keys(data).find((key) => !accepted.includes(key)) : undefined
    if (unknown === undefined) return new Error(missing)
    return new Error(`${path} has an unknown field "${unknown}", and ${missing}; accepted fields: ${accepted.join(', ')}`)
  }
  // Ids are written without leading zeros; the pattern alone would only say "a positive integer".
  const leadingZero = typeof data === 'string' && /^0+[1-9]\d*$/.test(data) && schema?.pattern?.startsWith('^[1-9]')
  if (error.keyword === 'pattern' && leadingZero) {
    return new Error(`${path} has a leading zero: ids are written without one (${data.replace(/^0+/, '')}, not ${data})`)
  }
  if (schema?.description) return new Error(`${path} must be ${schema.description}`)
  return new Error(`${path} ${error.message ?? 'is invalid'}`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
