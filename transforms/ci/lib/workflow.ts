// A GitHub Actions workflow as ci-smoke-test needs it: jobs with their steps,
// `needs` and matrix, and for each step whether it builds an image
// (docker/build-push-action, `docker build` / `docker buildx build`) or runs
// one (`docker run`, `docker compose up`). `run:` scripts go through the shell
// parser with `${{ … }}` expressions swapped for placeholder words, so
// expressions never confuse the parse and come back intact. Read-only.
import { isMap, isScalar, isSeq, type Document, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { parseShell, type ShellCommand } from '../../../src/engine/shell.js';
import { lineAt } from '../../../src/engine/text.js';

export interface Job {
  id: string;
  map: YAMLMap;
  steps: YAMLSeq | null;
  needs: string[];
  runsOn: string;
  /** Matrix keys with their literal values (from the key's list and from `include`). */
  matrix: Map<string, string[]>;
}

/** What a build step produces. */
export interface ActionBuild {
  kind: 'action';
  step: YAMLMap;
  with: YAMLMap | null;
  /** `load: true` is set. */
  load: boolean;
  /** The first tag, when it is one plain image reference the smoke step can use. */
  tag: string | null;
}

export interface CliBuild {
  kind: 'cli';
  step: YAMLMap;
  /** The `-t` tag, expressions restored; null when the command names none. */
  tag: string | null;
  /** Pushes with buildx but does not load into the runner's docker. */
  pushOnly: boolean;
  /** More than one build command in the step (a loop or a list). */
  several: boolean;
}

export type Build = ActionBuild | CliBuild;

const EXPR = /\$\{\{[\s\S]*?\}\}/g;

export function str(node: unknown): string | null {
  return isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number' || typeof node.value === 'boolean') ? String(node.value) : null;
}

export function lineOf(text: string, node: Node | null | undefined): number {
  const start = node?.range?.[0];
  return start === undefined ? 1 : lineAt(text, start);
}

function list(node: unknown): string[] {
  if (isSeq(node)) return node.items.map(str).filter((s): s is string => s !== null);
  const one = str(node);
  return one === null ? [] : [one];
}

function matrixOf(job: YAMLMap): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const strategy = job.get('strategy', true);
  const matrix = isMap(strategy) ? strategy.get('matrix', true) : null;
  if (!isMap(matrix)) return out;
  const add = (key: string, value: string | null) => {
    if (value === null) return;
    out.set(key, [...(out.get(key) ?? []), value]);
  };
  for (const pair of matrix.items) {
    const key = str(pair.key);
    if (key === null || key === 'exclude') continue;
    if (key === 'include' && isSeq(pair.value)) {
      for (const item of pair.value.items) if (isMap(item)) for (const p of item.items) add(str(p.key) ?? '', str(p.value));
    } else if (isSeq(pair.value)) for (const v of pair.value.items) add(key, str(v));
  }
  return out;
}

export function jobsOf(doc: Document): Job[] {
  const jobs = doc.get('jobs', true);
  if (!isMap(jobs)) return [];
  const out: Job[] = [];
  for (const pair of jobs.items) {
    const id = str(pair.key);
    if (id === null || !isMap(pair.value)) continue;
    const map = pair.value;
    const steps = map.get('steps', true);
    const runsOn = map.get('runs-on', true);
    out.push({
      id,
      map,
      steps: isSeq(steps) ? steps : null,
      needs: list(map.get('needs', true)),
      runsOn: isSeq(runsOn) ? list(runsOn).join(' ') : (str(runsOn) ?? ''),
      matrix: matrixOf(map),
    });
  }
  return out;
}

/** A run script's commands, parsed with `${{ }}` expressions as placeholder words; `restore` puts them back. */
export function scriptCommands(script: string): { commands: ShellCommand[]; restore(word: string): string } | null {
  const exprs: string[] = [];
  const masked = script.replace(EXPR, (m) => `__gha_expr_${exprs.push(m) - 1}__`);
  const restore = (word: string) => word.replace(/__gha_expr_(\d+)__/g, (_, i: string) => exprs[Number(i)]!);
  try {
    return { commands: parseShell(masked).commands, restore };
  } catch {
    return null;
  }
}

/** `docker build`, `docker image build`, `docker buildx build` (after an optional sudo). */
export function isBuild(args: string[]): boolean {
  const a = args[0] === 'sudo' ? args.slice(1) : args;
  return a[0] === 'docker' && (a[1] === 'build' || (a[1] === 'image' && a[2] === 'build') || (a[1] === 'buildx' && a[2] === 'build'));
}

/** `docker run`, `docker container run`, `docker compose up|run`, `docker-compose up|run`. */
function isRun(args: string[]): boolean {
  const a = args[0] === 'sudo' ? args.slice(1) : args;
  if (a[0] === 'docker-compose') return a.includes('up') || a.includes('run');
  if (a[0] !== 'docker') return false;
  if (a[1] === 'run' || (a[1] === 'container' && a[2] === 'run')) return true;
  return a[1] === 'compose' && (a.includes('up') || a.includes('run'));
}

function flagValue(args: string[], names: string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (names.includes(a)) return args[i + 1] ?? null;
    for (const n of names) if (n.startsWith('--') && a.startsWith(`${n}=`)) return a.slice(n.length + 1);
  }
  return null;
}

/** Flags of `docker build` that take a value as the next word. */
const BUILD_VALUE_FLAGS = new Set(['-f', '--file', '-t', '--tag', '--build-arg', '--target', '--platform', '--label', '--secret', '--ssh', '--cache-from', '--cache-to', '--output', '-o', '--network', '--progress', '--builder', '--iidfile', '--build-context', '--add-host']);

/** The context word and `-f` value of a `docker build` command; null where the words do not say. */
export function cliBuildArgs(args: string[]): { context: string | null; file: string | null } {
  const words: string[] = [];
  let file: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (BUILD_VALUE_FLAGS.has(a)) {
      if (a === '-f' || a === '--file') file = args[i + 1] ?? null;
      i++;
    } else if (a.startsWith('--file=')) file = a.slice('--file='.length);
    else if (!a.startsWith('-')) words.push(a);
  }
  const context = words.length > 0 && !['build', 'buildx', 'image', 'docker', 'sudo'].includes(words[words.length - 1]!) ? words[words.length - 1]! : null;
  return { context, file };
}

/** What a step builds, or null when it builds no image (or is not a step map). */
export function buildOf(step: unknown): Build | null {
  if (!isMap(step)) return null;
  const uses = str(step.get('uses', true)) ?? '';
  if (uses.startsWith('docker/build-push-action@')) {
    const w = step.get('with', true);
    const withMap = isMap(w) ? w : null;
    const tags = (str(withMap?.get('tags', true)) ?? '')
      .split(/[\n,]/)
      .map((t) => t.trim())
      .filter(Boolean);
    const first = tags[0] ?? null;
    // `${{ steps.meta.outputs.tags }}` may hold several tags: not one usable reference.
    const usable = first !== null && !/\$\{\{[^}]*steps\./.test(first) && !/\s/.test(first.replace(EXPR, 'x'));
    return { kind: 'action', step, with: withMap, load: str(withMap?.get('load', true)) === 'true', tag: usable ? first : null };
  }
  const script = str(step.get('run', true));
  const parsed = script === null ? null : scriptCommands(script);
  const builds = parsed?.commands.filter((c) => isBuild(c.args)) ?? [];
  const cmd = builds[0];
  if (!parsed || !cmd) return null;
  const args = cmd.args;
  const buildx = args.includes('buildx');
  const output = flagValue(args, ['--output', '-o']) ?? '';
  const push = args.includes('--push') || output.includes('type=registry');
  const tag = flagValue(args, ['-t', '--tag']);
  return {
    kind: 'cli',
    step,
    tag: tag === null ? null : parsed.restore(tag),
    pushOnly: buildx && push && !args.includes('--load'),
    several: builds.length > 1,
  };
}

/** True when the step starts a container from an image. */
export function runsImage(step: unknown): boolean {
  if (!isMap(step)) return false;
  const uses = str(step.get('uses', true)) ?? '';
  if (uses.startsWith('docker://') || uses.startsWith('addnab/docker-run-action@')) return true;
  const script = str(step.get('run', true));
  return !!script && !!scriptCommands(script)?.commands.some((c) => isRun(c.args));
}

/** Jobs that (transitively) need `id`. */
export function dependents(jobs: Job[], id: string): Job[] {
  const out = new Set<Job>();
  let frontier = [id];
  while (frontier.length > 0) {
    const next = jobs.filter((j) => !out.has(j) && j.needs.some((n) => frontier.includes(n)));
    next.forEach((j) => out.add(j));
    frontier = next.map((j) => j.id);
  }
  return [...out];
}

/** `${{ matrix.X }}` keys a node's text mentions, in order. */
export function matrixKeys(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{\{\s*matrix\.([A-Za-z_][\w-]*)\s*\}\}/g)].map((m) => m[1]!))];
}
