// Authoring aid: writes what the current fixer makes of a fixture case into
// its output.<ext> (and created/), so a new case's expectation is reviewed as
// a git diff instead of typed by hand. Never run by the tests.
//   node --import tsx scripts/fixture-accept.ts <transform-id> <case> [<case>...]
import fs from 'node:fs';
import path from 'node:path';
import { registry } from '../transforms/registry.js';
import { normalize, restore } from '../src/engine/text.js';
import { loadCases, runCase } from '../test/helpers/fixtures.js';

const [id, ...names] = process.argv.slice(2);
const entry = registry.find((e) => e.id === id);
if (!entry || names.length === 0) {
  console.error('usage: node --import tsx scripts/fixture-accept.ts <transform-id> <case>...');
  process.exit(2);
}
const transform = await entry.load();
for (const name of names) {
  const c = loadCases(id!).find((x) => x.name === name);
  if (!c) {
    console.error(`fixtures/${id}/${name}: no such case`);
    process.exit(2);
  }
  const { text, shape } = normalize(c.input);
  const out = runCase(c, transform, text, 'fix');
  if (out.error) console.error(`${name}: ${out.error.message}`);
  fs.writeFileSync(c.outputFile, out.output === undefined ? c.input : restore(out.output, shape));
  for (const f of out.created) {
    const dest = path.join(c.dir, 'created', f.path);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, f.text);
  }
  const findings = runCase(c, transform, text, 'detect').findings;
  console.log(`${name}: ${out.output === undefined ? 'unchanged' : 'changed'}; findings: ${findings.map((f) => `${f.line}:${f.rule}${f.fix ? '' : ' (manual)'}`).join(', ') || 'none'}`);
}
