#!/usr/bin/env node
// Regenerates the rules table in README.md (between <!-- rules:start --> and
// <!-- rules:end -->) from the built catalog: id, severity, file kind, fixer,
// description, exactly what `shipshape rules` prints. Run `npm run build` first.
//   node scripts/gen-rules-table.mjs          rewrite README.md
//   node scripts/gen-rules-table.mjs --check  exit 1 when README.md is out of date
// test/docs.test.ts runs the same check.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (rel) => pathToFileURL(path.join(repo, 'dist', rel)).href;
const fail = (msg) => {
  console.error(`gen-rules-table: ${msg}`);
  process.exit(2);
};

if (!fs.existsSync(path.join(repo, 'dist', 'src', 'commands', 'rules.js'))) fail('dist/ is missing or stale; run `npm run build` first');
const { loadTransforms } = await import(dist('transforms/registry.js'));
const { catalog } = await import(dist('src/engine/catalog.js'));
const { rulesMarkdownTable, replaceRulesTable } = await import(dist('src/commands/rules.js'));

const readmePath = path.join(repo, 'README.md');
const readme = fs.readFileSync(readmePath, 'utf8');
let next;
try {
  next = replaceRulesTable(readme, rulesMarkdownTable(catalog(await loadTransforms())));
} catch (err) {
  fail(err.message);
}
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('gen-rules-table: the rules table in README.md is out of date; run `npm run docs:rules`');
    process.exit(1);
  }
  console.log('README.md rules table is up to date');
} else if (next === readme) console.log('README.md rules table unchanged');
else {
  fs.writeFileSync(readmePath, next);
  console.log('README.md rules table updated');
}
