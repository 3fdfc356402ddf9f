import { readFileSync } from 'node:fs'

/** One `curl` of a README example: what it sends, and what the README says it prints. */
export interface CurlCall {
  method: string
  /** The path without its query string, e.g. /v1/transfers/$id. */
  path: string
  /** The JSON body of `-d '…'`, parsed. */
  body?: unknown
  /** The JSON answers the README prints for it, with their status (`-w ' %{http_code}'`). */
  answers: { status: number; body: unknown }[]
}

export interface ExampleBlock {
  /** The shell code, comments left out. */
  code: string
  /** What the README says it prints: its `# ` lines. */
  printed: string[]
  calls: CurlCall[]
}

const README = new URL('../../../README.md', import.meta.url)

/** The quick start's command that creates an API key into $TRANSFERS_KEY, as written. */
export function quickStartKeyCommand(): string {
  const text = readFileSync(README, 'utf8')
  const section = text.slice(text.indexOf('\n## Quick start'), text.indexOf('\n## Using it'))
  const line = section.split('\n').find((candidate) => /^export TRANSFERS_KEY=.*keys -- create/.test(candidate))
  if (!line) throw new Error('the quick start does not create an API key into TRANSFERS_KEY')
  return line
}

/**
 * The ```sh blocks of the README's "Using it" section. A printed line `{…} 201` is the answer of
 * the last curl before it whose output is not captured in `$(…)`, else of the last curl before it
 * (a loop that echoes what it captured).
 */
export function readmeExamples(): ExampleBlock[] {
  const text = readFileSync(README, 'utf8')
  const section = text.slice(text.indexOf('\n## Using it'), text.indexOf('\n## The contract'))
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, block]) => parseBlock(block as string))
}

function parseBlock(block: string): ExampleBlock {
  // One line per command: continuation lines joined.
  const lines = block.replace(/\\\n\s*/g, ' ').split('\n')
  const variables = new Map<string, string>()
  const calls: CurlCall[] = []
  // The calls whose output the shell captures in $(…) instead of printing it.
  const captured = new Set<CurlCall>()
  const printed: string[] = []
  for (const line of lines) {
    if (line.startsWith('# ')) {
      const output = line.slice(2)
      printed.push(output)
      const answer = /^(\{.*\}) (\d{3})$/.exec(output)
      if (answer) {
        const to = calls.findLast((call) => !captured.has(call)) ?? calls.at(-1)
        to?.answers.push({ status: Number(answer[2]), body: JSON.parse(answer[1] as string) })
      }
      continue
    }
    const assignment = /^(\w+)='([^']*)'$/.exec(line.trim())
    if (assignment) variables.set(assignment[1] as string, assignment[2] as string)
    for (const [, before, args] of line.matchAll(/(\$\()?\bcurl ([^|)]*)/g)) {
      const expanded = (args as string).replace(/"?\$(\w+)/g, (whole, name: string) => variables.get(name) ?? whole)
      const url = /localhost:9999(\/[^\s'"?&]*)/.exec(expanded)?.[1]
      if (!url) continue
      const body = /-d '([^']*)'/.exec(expanded)?.[1]
      const call: CurlCall = {
        method: /-X (\w+)/.exec(expanded)?.[1] ?? (body === undefined ? 'GET' : 'POST'),
        path: url,
        ...(body === undefined ? {} : { body: JSON.parse(body) }),
        answers: [],
      }
      calls.push(call)
      if (before !== undefined) captured.add(call)
    }
  }
  const code = lines.filter((line) => !line.startsWith('#')).join('\n')
  return { code, printed, calls }
}
