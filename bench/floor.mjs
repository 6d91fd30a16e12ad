#!/usr/bin/env node
// The parse floor: read every source file of a repo and parse it with
// @babel/parser, nothing else (no AST walk, no transform, no output). A tool
// that must read and parse every file cannot beat this, so the bench reports
// scan and fix as multiples of it.
//
//   node bench/floor.mjs DIR        prints {"files":..,"bytes":..,"tokens":..,"ms":..}
//
// Files: the code files shipshape reads (.ts .tsx .mts .cts .js .jsx .mjs .cjs),
// skipping what it never reads (node_modules, dist, build, test files, .d.ts...).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from '@babel/parser';

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', '.next', 'out', 'coverage', '.turbo', 'test', 'tests', '__tests__', '__mocks__']);
const TEST_FILE = /\.(test|spec)\.[^/]+$|\.d\.ts$/;

/** Source files under root, relative, '/'-separated, in path order. */
export function listSourceFiles(root) {
  const out = [];
  const walk = (rel) => {
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(child);
      } else if (e.isFile() && SOURCE_EXTENSIONS.includes(path.extname(e.name)) && !TEST_FILE.test(e.name)) {
        out.push(child);
      }
    }
  };
  walk('');
  return out.sort();
}

/** Babel plugins per extension: TypeScript for .ts/.mts/.cts, TypeScript+JSX for .tsx, JSX for JavaScript. */
export function pluginsFor(file) {
  const ext = path.extname(file);
  if (ext === '.tsx') return ['typescript', 'jsx'];
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return ['typescript'];
  return ['jsx'];
}

export function parseFile(file, text) {
  return parse(text, { sourceType: 'unambiguous', tokens: true, errorRecovery: false, plugins: pluginsFor(file) });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = path.resolve(process.argv[2] ?? '.');
  const start = process.hrtime.bigint();
  let bytes = 0;
  let tokens = 0;
  const failed = [];
  const files = listSourceFiles(root);
  for (const rel of files) {
    const text = fs.readFileSync(path.join(root, rel), 'utf8');
    bytes += text.length;
    try {
      tokens += parseFile(rel, text).tokens.length;
    } catch (err) {
      failed.push(`${rel}: ${err.message}`);
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(`${JSON.stringify({ files: files.length, bytes, tokens, ms: Math.round(ms), failed })}\n`);
  if (failed.length) process.exitCode = 1;
}
