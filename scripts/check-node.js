// Stops a Node outside package.json's `engines.node` with one sentence, before `npm ci`, `npm start`
// and `npm test` do anything (the preinstall, prestart and pretest scripts) and in .ci/run; without
// it a too-old Node fails later, in a dependency, with a stack trace. The range lives in package.json
// only. `node scripts/check-node.js 20.20.2` checks that version instead of the running one.
//
// Dependency-free, and plain enough for any Node that runs ES modules (14 and later).
import { readFileSync } from 'node:fs'

const range = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node
const version = process.argv[2] ?? process.versions.node

/** "22.22.0" → [22, 22, 0]; a missing part counts as 0. */
function parse(text) {
  const parts = text.replace(/^v/, '').split('-')[0].split('.').map(Number)
  return [0, 1, 2].map((i) => parts[i] ?? 0)
}

function atLeast(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i]
  return true
}

// engines.node is written as `^A.B.C || >=D.E.F …`, the only two forms this reads.
const alternatives = range.split('||').map((text) => {
  const match = /^\s*(\^|>=)\s*(\d+(?:\.\d+){0,2})\s*$/.exec(text)
  if (!match) throw new Error(`scripts/check-node.js reads engines.node as "^x.y.z || >=x.y.z", not "${range}"`)
  return { caret: match[1] === '^', from: parse(match[2]) }
})

const current = parse(version)
const supported = alternatives.some(({ caret, from }) => atLeast(current, from) && (!caret || current[0] === from[0]))
if (!supported) {
  const floor = alternatives.map(({ from }) => from).reduce((low, from) => (atLeast(from, low) ? low : from))
  const required = atLeast(current, floor) ? range : `≥ ${floor.join('.')}`
  console.error(`Node ${required} is required, this is ${version.replace(/^v/, '')}; see .nvmrc`)
  process.exit(1)
}
