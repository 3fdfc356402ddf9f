import type { FastifySchemaValidationError, SchemaErrorDataVar } from 'fastify/types/schema.js'

/** Turns the first Ajv error into one sentence that says what would have been accepted. */
export function describeSchemaError(errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  const error = errors[0]
  if (!error) return new Error(`${dataVar} is invalid`)
  const path = [dataVar, ...error.instancePath.split('/').filter(Boolean)].join('.')
  const params = error.params as Record<string, unknown>
  const schema = (error as { parentSchema?: { description?: string; properties?: object } }).parentSchema

  if (error.keyword === 'additionalProperties') {
    const accepted = Object.keys(schema?.properties ?? {}).join(', ')
    return new Error(`${path} has an unknown field "${String(params.additionalProperty)}"; accepted fields: ${accepted}`)
  }
  if (error.keyword === 'required') return new Error(`${path}.${String(params.missingProperty)} is required`)
  if (schema?.description) return new Error(`${path} must be ${schema.description}`)
  return new Error(`${path} ${error.message ?? 'is invalid'}`)
}
