// What a Dockerfile reads from its build context (the literal COPY/ADD
// sources) and what the context's ignore file keeps out of it. Where the
// context is: build-context.ts.
import path from 'node:path';
import ignore from 'ignore';
import type { DockerInstruction, DockerStage, DockerfileTree } from '../../../src/engine/dockerfile.js';
import type { WorkspaceView } from '../../../src/engine/types.js';
import { flag } from './build-copies.js';

export interface CopySource {
  instr: DockerInstruction;
  /** As written, e.g. `./pnpm-lock.yaml`. */
  raw: string;
  /** Relative to the build context, normalised, '.' for the context itself. */
  path: string;
}

export const join = (...parts: string[]): string => path.posix.normalize(path.posix.join(...parts)).replace(/\/$/, '') || '.';

/** True for COPY/ADD that read the build context (not `--from=`). */
export function readsContext(instr: DockerInstruction): boolean {
  return (instr.keyword === 'COPY' || instr.keyword === 'ADD') && flag(instr, 'from') === null;
}

/** Source arguments of a COPY/ADD, exec or shell form; heredoc bodies excluded. */
export function sourcesOf(instr: DockerInstruction): string[] {
  if (instr.args.trimStart().startsWith('<<')) return [];
  const args = instr.execForm ?? (instr.node as unknown as { getArguments(): { getValue(): string }[] }).getArguments().map((a) => a.getValue());
  return args.slice(0, -1).filter((a) => !a.startsWith('<<'));
}

export const isRemote = (s: string): boolean => /^(https?|git):\/\/|^git@/.test(s);
export const isPattern = (s: string) => /[*?[]/.test(s);
const hasVariable = (s: string) => s.includes('$');

/** Local, literal (no wildcard, no variable) sources that COPY/ADD read from the context. */
export function contextSources(tree: DockerfileTree, stages: DockerStage[] = tree.stages): CopySource[] {
  const out: CopySource[] = [];
  for (const stage of stages)
    for (const instr of stage.instructions) {
      if (!readsContext(instr)) continue;
      for (const raw of sourcesOf(instr)) {
        if (isRemote(raw) || hasVariable(raw)) continue;
        out.push({ instr, raw, path: join('.', raw.replace(/^\/+/, '')) });
      }
    }
  return out;
}

/** The ignore file Docker reads for this build: `<Dockerfile>.dockerignore` first, then `<context>/.dockerignore`. */
export function dockerignoreOf(ws: WorkspaceView, dockerfile: string, context: string): { path: string; text: string } | null {
  for (const file of [`${dockerfile}.dockerignore`, join(context, '.dockerignore')]) {
    const text = ws.read(file);
    if (text !== undefined) return { path: file, text };
  }
  return null;
}

/**
 * A matcher with .dockerignore semantics on top of the gitignore engine:
 * Docker anchors every pattern at the context root, so a pattern that does
 * not start with `**` is anchored before it is handed to `ignore`.
 */
export function dockerignoreMatcher(text: string): (rel: string) => boolean {
  const ig = ignore();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const negated = trimmed.startsWith('!');
    const body = (negated ? trimmed.slice(1) : trimmed).replace(/^\/+/, '').replace(/^\.\//, '');
    const anchored = body.startsWith('**') ? body : `/${body}`;
    ig.add(`${negated ? '!' : ''}${anchored}`);
  }
  return (rel) => rel !== '.' && !rel.startsWith('..') && (ig.ignores(rel) || ig.ignores(`${rel}/`));
}
