// Which file to run, in the order a container would: the Dockerfile's
// ENTRYPOINT/CMD (through dumb-init/tini, `npm start` and entrypoint scripts
// down to the `node <file>` they end in), then package.json#main, then the
// start script. Container paths map onto the host relative to the service
// folder or the workspace root. A candidate whose file is missing may appear
// after the build; the first one that exists is what verify runs.
import fs from 'node:fs';
import path from 'node:path';
import { parseShell, stripWrappers } from '../engine/shell.js';
import type { Target } from './target.js';

export interface EntryCandidate {
  /** Where it came from: 'Dockerfile CMD', 'package.json#main', 'package.json scripts.start'. */
  source: string;
  /** What the source says, for evidence. */
  shown: string;
  /** Host paths the entry may be at, most likely first; `base` is the matching cwd. */
  files: { file: string; base: string }[];
  nodeArgs: string[];
  args: string[];
  /** Why a candidate cannot be run as is (e.g. TypeScript source). */
  problem?: string;
  notes: string[];
}

export interface Entry {
  file: string;
  cwd: string;
  nodeArgs: string[];
  args: string[];
  source: string;
  shown: string;
  notes: string[];
}

const NODE_FLAGS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--env-file', '--conditions', '-C', '--max-old-space-size', '--title']);
const PM_FLAGS_WITH_VALUE = new Set(['--filter', '-F', '--dir', '-C', '--prefix', '--workspace', '-w', '--cwd']);
const RUNNABLE = /\.(c|m)?js$/;

interface NodeCommand {
  script: string;
  nodeArgs: string[];
  args: string[];
  notes: string[];
}

function splitNodeArgs(words: string[]): { script: string; nodeArgs: string[]; args: string[] } | null {
  const nodeArgs: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-e' || w === '--eval' || w === '-p' || w === '--print') return null;
    if (w.startsWith('-')) {
      nodeArgs.push(w);
      if (NODE_FLAGS_WITH_VALUE.has(w) && i + 1 < words.length) nodeArgs.push(words[++i]!);
      continue;
    }
    return { script: w, nodeArgs, args: words.slice(i + 1) };
  }
  return null;
}

function firstCommand(text: string): string[] | null {
  try {
    const cmd = parseShell(text).commands[0];
    return cmd ? stripWrappers(cmd.args) : null;
  } catch {
    return null;
  }
}

/** Follows words down to a `node <script>` call; null when it does not end in one. */
function toNode(words: string[], target: Target, readScript: (p: string) => string | undefined, depth = 0): NodeCommand | null {
  if (depth > 4) return null;
  let w = stripWrappers(words);
  if ((w[0] === '/bin/sh' || w[0] === 'sh' || w[0] === '/bin/bash' || w[0] === 'bash') && w[1] === '-c' && w[2]) {
    const inner = firstCommand(w[2]);
    return inner ? toNode(inner, target, readScript, depth + 1) : null;
  }
  const head = path.posix.basename(w[0] ?? '');
  if (head === 'node' || head === 'nodejs') {
    const split = splitNodeArgs(w);
    return split && { ...split, notes: [] };
  }
  if (head === 'npm' || head === 'pnpm' || head === 'yarn') {
    // `pnpm --filter api start`, `npm --prefix app run start`: drop flags and their values.
    const rest: string[] = [];
    for (let i = 1; i < w.length; i++) {
      if (PM_FLAGS_WITH_VALUE.has(w[i]!)) i++;
      else if (!w[i]!.startsWith('-')) rest.push(w[i]!);
    }
    const name = rest[0] === 'run' || rest[0] === 'run-script' ? rest[1] : rest[0];
    const scripts = (target.service.manifest.scripts ?? {}) as Record<string, unknown>;
    const body = name ? scripts[name] : undefined;
    if (typeof body !== 'string') return null;
    const inner = firstCommand(body);
    const found = inner && toNode(inner, target, readScript, depth + 1);
    return found && { ...found, notes: [`\`${w.join(' ')}\` runs a package manager in the container; verify runs its script directly: ${body}`, ...found.notes] };
  }
  if (/\.sh$/.test(head)) {
    const text = readScript(w[0]!);
    if (text === undefined) return null;
    let tree;
    try {
      tree = parseShell(text, w[0]);
    } catch {
      return null;
    }
    const last = [...tree.commands].reverse().find((c) => ['node', 'nodejs'].includes(path.posix.basename(stripWrappers(c.args)[0] ?? '')));
    if (!last) return null;
    w = stripWrappers(last.args);
    const split = splitNodeArgs(w);
    return split && { ...split, args: split.args.filter((a) => a !== '"$@"' && a !== '$@'), notes: [`${words[0]} ends in \`${w.join(' ')}\``] };
  }
  return null;
}

/** Host paths a container path may correspond to, with the cwd that goes with each. */
export function hostPaths(p: string, workdir: string | null, target: Target): { file: string; base: string }[] {
  const out: { file: string; base: string }[] = [];
  const push = (base: string, rel: string) => {
    const file = path.resolve(base, rel);
    if (!out.some((o) => o.file === file)) out.push({ file, base });
  };
  const serviceRel = path.relative(target.root, target.dir).split(path.sep).join('/');
  let rel: string | null = null;
  if (!p.startsWith('/')) rel = p;
  else if (workdir && p.startsWith(`${workdir.replace(/\/$/, '')}/`)) rel = p.slice(workdir.replace(/\/$/, '').length + 1);
  if (rel !== null) {
    // WORKDIR /app/services/x holds the service; WORKDIR /app holds the whole repo.
    const workdirIsRepo = !!workdir && serviceRel !== '' && rel.startsWith(`${serviceRel}/`);
    if (workdirIsRepo) push(target.root, rel);
    push(target.dir, rel);
    push(target.root, rel);
    return out;
  }
  const segments = p.split('/').filter(Boolean);
  for (let k = 0; k < segments.length; k++) {
    const suffix = segments.slice(k).join('/');
    push(target.dir, suffix);
    push(target.root, suffix);
  }
  return out;
}

function mainFiles(main: string, dir: string): { file: string; base: string }[] {
  const file = path.resolve(dir, main);
  const variants = RUNNABLE.test(file) || path.extname(file) ? [file] : [`${file}.js`, path.join(file, 'index.js')];
  return variants.map((f) => ({ file: f, base: dir }));
}

export function entryCandidates(target: Target): EntryCandidate[] {
  const out: EntryCandidate[] = [];
  const readScript = (p: string) => {
    for (const { file } of hostPaths(p, target.docker?.workdir ?? null, target)) {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        // try the next mapping
      }
    }
    return undefined;
  };
  const add = (source: string, shown: string, cmd: NodeCommand | null, workdir: string | null) => {
    if (!cmd) return;
    const files = hostPaths(cmd.script, workdir, target);
    const problem = RUNNABLE.test(cmd.script) || !path.posix.extname(cmd.script) ? undefined : `${cmd.script} is not JavaScript; verify runs built output`;
    out.push({ source, shown, files, nodeArgs: cmd.nodeArgs, args: cmd.args, notes: cmd.notes, ...(problem ? { problem } : {}) });
  };
  const d = target.docker;
  if (d && d.argv.length) {
    const cmd = toNode(d.argv, target, readScript);
    const which = d.instruction?.startsWith('ENTRYPOINT') ? (d.instruction.includes(' + CMD') ? 'ENTRYPOINT + CMD' : 'ENTRYPOINT') : 'CMD';
    if (cmd) add(`${d.path} ${which}`, d.instruction ?? d.argv.join(' '), cmd, d.workdir);
  }
  const manifest = target.service.manifest;
  if (typeof manifest.main === 'string' && manifest.main) {
    const files = mainFiles(manifest.main, target.dir);
    const problem = RUNNABLE.test(files[0]!.file) || !path.extname(manifest.main) ? undefined : `${manifest.main} is not JavaScript; verify runs built output`;
    out.push({ source: 'package.json#main', shown: `"main": "${manifest.main}"`, files, nodeArgs: [], args: [], notes: [], ...(problem ? { problem } : {}) });
  }
  const start = (manifest.scripts as Record<string, unknown> | undefined)?.start;
  if (typeof start === 'string') {
    const words = firstCommand(start);
    add('package.json scripts.start', `"start": "${start}"`, words ? toNode(words, target, readScript) : null, null);
  }
  return out;
}

/** The first runnable candidate whose file exists, with notes on the ones passed over. */
export function pickEntry(candidates: EntryCandidate[]): Entry | null {
  const skipped: string[] = [];
  for (const c of candidates) {
    if (c.problem) {
      skipped.push(`${c.source} (${c.shown}): ${c.problem}`);
      continue;
    }
    const hit = c.files.find((f) => fs.existsSync(f.file) && fs.statSync(f.file).isFile());
    if (!hit) {
      skipped.push(`${c.source} (${c.shown}) names ${c.files[0] ? path.relative(c.files[0].base, c.files[0].file) : '?'}, which does not exist`);
      continue;
    }
    return { file: hit.file, cwd: hit.base, nodeArgs: c.nodeArgs, args: c.args, source: c.source, shown: c.shown, notes: [...skipped, ...c.notes] };
  }
  return null;
}

/** True when a source file is newer than the built entry (the build is stale). */
export function staleAgainst(entryFile: string, sources: string[]): string | null {
  let built: number;
  try {
    built = fs.statSync(entryFile).mtimeMs;
  } catch {
    return null;
  }
  for (const s of sources) {
    try {
      if (fs.statSync(s).mtimeMs > built) return s;
    } catch {
      // deleted since discovery
    }
  }
  return null;
}
