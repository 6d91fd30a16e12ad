#!/usr/bin/env node
// Regenerates the two reviewed snapshots of the demo monorepo's scan from the
// built CLI (run `npm run build` first; `npm run regen:demo` does both):
//   docs/examples/demo-scan.md         the markdown report, committed as an example
//   fixtures/expected/demo-findings.json   rule, file, line of every finding
// test/report-markdown.test.ts and test/demo-findings.test.ts compare the scan
// with these files. Review the diff before committing: every changed line is a
// finding that appeared, moved or went away.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(repo, 'bin', 'shipshape.js');
if (!fs.existsSync(path.join(repo, 'dist', 'src', 'cli.js'))) {
  console.error('gen-demo-examples: dist/ is missing; run `npm run build` first (or `npm run regen:demo`)');
  process.exit(2);
}

function scan(format) {
  // Relative root from the repo, as the tests run it: the report names the root by its folder.
  const r = spawnSync(process.execPath, [bin, 'scan', 'fixtures/monorepo', '--format', format], { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 1) {
    console.error(`gen-demo-examples: shipshape scan --format ${format} exited ${r.status}\n${r.stderr}`);
    process.exit(2);
  }
  return r.stdout;
}

function write(rel, text) {
  const file = path.join(repo, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  fs.writeFileSync(file, text);
  console.log(`${before === text ? 'unchanged' : before === null ? 'created  ' : 'updated  '} ${rel}`);
}

write('docs/examples/demo-scan.md', scan('markdown'));
const report = JSON.parse(scan('json'));
const findings = report.findings.map(({ rule, file, line }) => ({ rule, file, line }));
write('fixtures/expected/demo-findings.json', `${JSON.stringify(findings, null, 2)}\n`);
