import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import openapiTS, { astToString } from 'openapi-typescript'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quickStartKeyCommand, readmeExamples } from './support/readme-examples.js'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

// The README's "Using it" examples, run as written (curl and bash, the port aside) against a fresh
// service, with the API key its quick start creates (its command run as written too), print what
// the README says they print; and a client generated from the service's
// OpenAPI document with openapi-typescript accepts every body they send and every answer they show.

const run = promisify(execFile)
const examples = readmeExamples()

/** Ids, times and cursors differ from run to run, headers end in CR LF; the rest must match to the byte. */
const normalized = (lines: string[]) =>
  lines.map((line) =>
    line
      .replace(/\r$/, '')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, '<time>')
      .replace(/"next_cursor":"[^"]+"/g, '"next_cursor":"<cursor>"')
      .replace(/"created_by":"[a-z2-7]{12}"/g, '"created_by":"<key id>"'),
  )

let service: RunningService
/** The key the quick start's command made, which the examples send. */
let key = ''
beforeAll(async () => {
  // The default rate limit, which the README shows.
  service = await startService({ databaseUrl: freshDatabaseUrl('readme'), env: { RATE_LIMIT_PER_KEY: '1000/s' } })
  const made = await run('bash', ['-c', `set -euo pipefail\n${quickStartKeyCommand()}\nprintf %s "$TRANSFERS_KEY"`], {
    env: { ...process.env, DATABASE_URL: service.databaseUrl },
  })
  key = made.stdout
})
afterAll(() => service?.stop())

describe('the README examples', () => {
  it('are found', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5)
    expect(examples.flatMap((example) => example.calls).length).toBeGreaterThanOrEqual(10)
  })

  it('create a key that the service takes', () => {
    expect(key).toMatch(/^itk_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/)
  })

  it('print what the README says, in order, against a fresh database', async () => {
    const address = new URL(service.baseUrl).host
    for (const example of examples) {
      const { stdout } = await run('bash', ['-c', `set -euo pipefail\n${example.code.replaceAll('localhost:9999', address)}`], {
        env: { ...process.env, TRANSFERS_KEY: key },
      })
      expect(normalized(stdout.trimEnd().split('\n')), example.code).toEqual(normalized(example.printed))
    }
  })

  it('type-check against a client generated from /docs/json', async () => {
    const types = astToString(await openapiTS((await client(service).get('/docs/json')).body))
    const checks = examples
      .flatMap((example) => example.calls)
      .flatMap(({ method, path, body, answers }, n) => {
        const operation = `paths[${JSON.stringify(templateOf(types, path))}][${JSON.stringify(method.toLowerCase())}]`
        return [
          ...(body === undefined ? [] : [`const request${n}: RequestBody<${operation}> = ${JSON.stringify(body)}`]),
          ...answers.map((answer, k) => `const answer${n}_${k}: Answer<${operation}, ${answer.status}> = ${JSON.stringify(answer.body)}`),
        ]
      })
    expect(checks.length).toBeGreaterThanOrEqual(12)
    expect(typeErrors(types, checks)).toEqual([])
    // The check has teeth: an amount as a JSON number, or a field the document does not have, is refused.
    expect(typeErrors(types, [`const wrong: RequestBody<paths['/v1/transfers']['post']> = { source_account_id: 1, destination_account_id: 2, amount: 150 }`])).toHaveLength(1)
    expect(typeErrors(types, [`const wrong: Answer<paths['/v1/accounts/{account_id}']['get'], 200> = { account_id: 1, balance: '1', currency: 'EUR' }`])).toHaveLength(1)
  })
})

/** The document's path template that `path` (with `$variables` in it) matches. */
function templateOf(types: string, path: string): string {
  const templates = [...types.matchAll(/^ {4}"(\/[^"]*)": \{$/gm)].map((match) => match[1] as string)
  // A literal path (/v1/transfers/batch) before a template it also matches, as the router does.
  const template = templates.find((candidate) => candidate === path) ?? templates.find((candidate) => new RegExp(`^${candidate.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path))
  if (!template) throw new Error(`the README calls ${path}, which the document does not have`)
  return template
}

const HELPERS = `
type RequestBody<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never
type Answer<O, S extends number> = O extends { responses: infer R }
  ? S extends keyof R ? (R[S] extends { content: infer C } ? C[keyof C] : never) : never
  : never
`

/** Compiles the generated types with `checks` after them, in memory; the messages of its errors. */
function typeErrors(types: string, checks: string[]): string[] {
  const file = 'readme-examples.ts'
  const source = `${types}\n${HELPERS}\n${checks.join('\n')}\nexport {}\n`
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, types: [], skipLibCheck: true }
  const host = ts.createCompilerHost(options)
  const readFile = host.readFile.bind(host)
  const getSourceFile = host.getSourceFile.bind(host)
  host.readFile = (name) => (name === file ? source : readFile(name))
  host.fileExists = (name) => name === file || ts.sys.fileExists(name)
  host.getSourceFile = (name, language) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language)
  const program = ts.createProgram([file], options, host)
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
}
