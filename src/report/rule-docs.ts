// Where the rule docs live and how a page is read: `rules --explain`, SARIF
// help and the docs check all go through here, so a page has one location.
// The same code runs from src/ (tests) and dist/src/ (the CLI), so the
// package root is found by walking up to shipshape's own package.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Section headings of a rule page, in order (docs/writing-transforms.md). */
export const DOC_SECTIONS = ['What it catches', 'Why it matters in a container', 'Before', 'After', 'How to suppress'] as const;

let cachedRoot: string | undefined;

/** The folder holding shipshape's package.json (not the scanned repo's). */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'shipshape') return (cachedRoot = dir);
      } catch {
        // not ours; keep walking up
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find shipshape's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Absolute path of the docs page of a rule id. */
export function docPath(id: string): string {
  return path.join(packageRoot(), 'docs', 'rules', `${id}.md`);
}

/** The page's markdown, or null when the rule has no page yet. */
export function readRuleDoc(id: string): string | null {
  try {
    return fs.readFileSync(docPath(id), 'utf8');
  } catch {
    return null;
  }
}

/** shipshape's own version, from its package.json. */
export function toolVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
