// Which build tools a build runs, followed through the package manager:
// `npm run build`, `pnpm --filter api build`, `yarn workspace api build`,
// `turbo run build` and the package.json scripts they name (with npm's
// pre/post scripts), down to the tool commands stage-build-tools.ts reads.
// The walk is conservative: a command it does not know (a JS build script,
// webpack, make) or one that may write the file the image runs (cp, mv, a
// redirect) makes the build unknown, and cmd-path-mismatch says nothing.
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseShell, type ShellTree } from '../../../src/engine/shell.js';
import type { WorkspaceView } from '../../../src/engine/types.js';
import { join, manifestAt, selfAndAncestors, within, wordList, type ToolOutput } from './stage-build-emit.js';
import { BUILD_TOOLS, toolOutputs, type Service } from './stage-build-tools.js';

const require = createRequire(import.meta.url);
// mvdan-sh ships CommonJS only, with no types; only redirects are read from its tree here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const sh: any = require('mvdan-sh');

/** A place a command runs in, in the coordinates its paths use (the repo for scripts, the image for RUN). */
export interface Place {
  /** The folder paths on the command line are relative to. */
  cwd: string;
  /** The same folder in the repo, for tools; null when the image layout does not map it. */
  repo: string | null;
  /** The file the image runs, in the same coordinates as `cwd`. */
  target: string;
}

type Step =
  | { kind: 'tool'; argv: string[] }
  | { kind: 'script'; names: string[]; filters: string[] | null; recursive: boolean; root: boolean; dir: string | null; orBin: string[] | null }
  | { kind: 'install'; dir: string | null }
  | { kind: 'shell'; text: string }
  | { kind: 'writes'; paths: string[]; exts: string[] | null }
  | { kind: 'none' }
  | { kind: 'unknown' };

/** Commands that never create the file an image runs. */
const HARMLESS = new Set(
  wordList(
    'rm rimraf del del-cli mkdir mkdirp make-dir echo printf true test [ exit set export unset chmod chown chgrp ls cat pwd sleep which addgroup adduser groupadd useradd usermod deluser apk apt-get apt yum dnf microdnf dpkg update-ca-certificates corepack prisma eslint prettier tsc-alias husky jest vitest mocha lint-staged sed grep node-prune npm-pkg',
  ),
);
/** Commands that write files their arguments name. */
const WRITERS = new Set(wordList('cp mv ln rsync install touch copyfiles cpx cpy ncp tar unzip curl wget find'));

const base = (w: string | undefined) => path.posix.basename(w ?? '');

/** Drops `env A=b`, `cross-env A=b`, `dotenv -e f --`, `time`, `exec`; null when a wrapper hides the program. */
function unwrap(argv: string[]): string[] | null {
  let a = argv;
  for (;;) {
    const h = base(a[0]);
    if (h === 'exec' || h === 'time' || h === 'command') a = a.slice(1);
    else if (h === 'env' || h === 'cross-env' || h === 'cross-env-shell') {
      a = a.slice(1);
      while (a[0] !== undefined && (/^\w+=/.test(a[0]) || (h === 'env' && a[0].startsWith('-')))) a = a.slice(1);
    } else if (h === 'dotenv' || h === 'dotenv-cli') {
      const dd = a.indexOf('--');
      if (dd < 0) return null;
      a = a.slice(dd + 1);
    } else return a;
  }
}

/** Splits `--flag=value` and consumes the values of `valueFlags`; returns the positional words, the flags and what follows `--`. */
function words(args: string[], valueFlags: Set<string>): { words: string[]; flags: [string, string][]; passed: string[] } {
  const out: string[] = [];
  const flags: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return { words: out, flags, passed: args.slice(i + 1) };
    if (!a.startsWith('-')) {
      out.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (eq > 0) flags.push([name, a.slice(eq + 1)]);
    else if (valueFlags.has(name)) flags.push([name, args[++i] ?? '']);
    else flags.push([name, '']);
  }
  return { words: out, flags, passed: [] };
}

const NPM_VALUES = new Set(wordList('-w --workspace --prefix --loglevel --omit --include --cache --registry --userconfig'));
const PNPM_VALUES = new Set(
  wordList(
    '--filter -F -C --dir --workspace-concurrency --reporter --loglevel --filter-prod --test-pattern --changed-files-ignore-pattern --store-dir --config',
  ),
);
const YARN_VALUES = new Set(['--cwd', '--mutex', '--network-timeout', '--modules-folder', '--cache-folder']);
const INSTALLS = new Set(wordList('install i in isntall add ci clean-install ic install-clean update up upgrade rebuild rb link'));

interface Selection {
  filters?: string[];
  recursive?: boolean;
  /** Runs in the workspace root (`pnpm -w`). */
  root?: boolean;
  /** `--prefix`/`-C`/`--dir`/`--cwd`: a folder from the current one. */
  dir?: string | null;
}

/**
 * A script call. Arguments passed through to the script (`npm run build --
 * --rootDir .`, `pnpm build --outDir out`) change what its tool emits, so
 * such a call is not followed.
 */
function script(names: string[], sel: Selection, orBin: string[] | null, passed: string[] = []): Step {
  if (passed.length > 0) return { kind: 'unknown' };
  const filters = sel.filters?.filter((f) => f !== '') ?? [];
  return { kind: 'script', names, filters: filters.length > 0 ? filters : null, recursive: !!sel.recursive, root: !!sel.root, dir: sel.dir ?? null, orBin };
}

const values = (flags: [string, string][], ...names: string[]) => flags.filter(([f]) => names.includes(f)).map(([, v]) => v);
const has = (flags: [string, string][], ...names: string[]) => flags.some(([f]) => names.includes(f));

/** Flags a package manager reads itself on a script call; any other flag goes to the script. */
const PM_FLAGS = new Set(
  wordList(
    '-w --workspace --workspaces -ws --include-workspace-root --prefix --if-present --silent -s --loglevel -q --quiet --ignore-scripts --foreground-scripts --filter -F --filter-prod -r --recursive --workspace-root -C --dir --parallel --stream --no-bail --bail --sort --no-sort --aggregate-output --reporter --workspace-concurrency --resume-from --report-summary --cwd -T --top-level',
  ),
);

/** What a script call passes to the script: words after its name, flags the package manager does not read, and all after `--`. */
const passedOn = (parsed: { words: string[]; flags: [string, string][]; passed: string[] }, nameAt: number) => [
  ...parsed.words.slice(nameAt + 1),
  ...parsed.flags.filter(([f]) => !PM_FLAGS.has(f)).map(([f]) => f),
  ...parsed.passed,
];

/** `exec` of a binary: in the current folder; in other packages' folders (filters, -r, --dir) it is not followed. */
function execIn(sel: Selection, argv: string[]): Step {
  return sel.filters?.some((f) => f !== '') || sel.recursive || sel.root || sel.dir ? { kind: 'unknown' } : classify(argv);
}

function npm(args: string[]): Step {
  const parsed = words(args, NPM_VALUES);
  const { words: w, flags: f } = parsed;
  const flags: Selection = { filters: values(f, '-w', '--workspace'), recursive: has(f, '--workspaces', '-ws'), dir: values(f, '--prefix')[0] ?? null };
  const sub = w[0];
  if (sub === 'run' || sub === 'run-script' || sub === 'rum' || sub === 'urn')
    return w[1] ? script([w[1]], flags, null, passedOn(parsed, 1)) : { kind: 'none' };
  if (sub === 'start' || sub === 'test' || sub === 't' || sub === 'restart' || sub === 'stop')
    return script([sub === 't' ? 'test' : sub], flags, null, passedOn(parsed, 0));
  if (sub === 'exec' || sub === 'x')
    return execIn(
      flags,
      args.slice(args.indexOf(sub) + 1).filter((a, i) => !(i === 0 && a === '--')),
    );
  if (sub !== undefined && INSTALLS.has(sub)) return { kind: 'install', dir: flags.dir ?? null };
  return { kind: 'none' };
}

const PNPM_NONE = new Set(
  wordList(
    'prune store config c get set env setup why list ls ll outdated pack publish audit licenses patch patch-commit create init remove rm uninstall un unlink bin root server approve-builds doctor fetch import cache',
  ),
);

function pnpm(args: string[]): Step {
  const parsed = words(args, PNPM_VALUES);
  const { words: w, flags: f } = parsed;
  const flags: Selection = {
    filters: values(f, '--filter', '-F', '--filter-prod'),
    recursive: has(f, '-r', '--recursive'),
    root: has(f, '-w', '--workspace-root'),
    dir: values(f, '-C', '--dir')[0] ?? null,
  };
  const sub = w[0];
  if (sub === undefined) return { kind: 'none' };
  if (sub === 'run' || sub === 'run-script') return w[1] ? script([w[1]], flags, null, passedOn(parsed, 1)) : { kind: 'none' };
  if (sub === 'exec' || sub === 'dlx') return execIn(flags, args.slice(args.indexOf(sub) + 1));
  if (sub === 'deploy') return { kind: 'writes', paths: w.slice(1), exts: null };
  if (INSTALLS.has(sub)) return { kind: 'install', dir: flags.root ? null : (flags.dir ?? null) };
  if (PNPM_NONE.has(sub)) return { kind: 'none' };
  if (sub === 't') return script(['test'], flags, null, passedOn(parsed, 0));
  // `pnpm build` runs the script; without one, pnpm runs the binary of that name (with all its arguments).
  const bin = args.slice(args.indexOf(sub));
  return script([sub], flags, bin, BUILD_TOOLS.has(sub) ? [] : passedOn(parsed, 0));
}

const YARN_NONE = new Set(
  wordList('config cache why info list set plugin npm pack constraints version init unlink global remove dedupe login logout tag owner outdated'),
);

function yarn(args: string[]): Step {
  const parsed = words(args, YARN_VALUES);
  const { words: w, flags: f } = parsed;
  const flags: Selection = { dir: values(f, '--cwd')[0] ?? null, root: has(f, '-T', '--top-level') };
  const sub = w[0];
  if (sub === undefined || sub === 'install' || INSTALLS.has(sub)) return { kind: 'install', dir: flags.dir ?? null };
  if (sub === 'workspace' && w[1]) {
    const inner = yarn(args.slice(args.indexOf(w[1]) + 1));
    if (inner.kind === 'script') return { ...inner, filters: [w[1]], orBin: null };
    return inner.kind === 'none' || inner.kind === 'install' ? inner : { kind: 'unknown' };
  }
  if (sub === 'workspaces') {
    const run = w.indexOf('run');
    return w[1] === 'foreach' && run > 0 && w[run + 1] ? script([w[run + 1]!], { recursive: true }, null) : { kind: 'unknown' };
  }
  if (sub === 'run')
    return w[1] ? script([w[1]], flags, args.slice(args.indexOf('run') + 1), BUILD_TOOLS.has(w[1]) ? [] : passedOn(parsed, 1)) : { kind: 'none' };
  if (sub === 'exec' || sub === 'dlx') return execIn(flags, args.slice(args.indexOf(sub) + 1));
  if (YARN_NONE.has(sub)) return { kind: 'none' };
  if (sub === 'node') return { kind: 'unknown' };
  return script([sub], flags, args.slice(args.indexOf(sub)), BUILD_TOOLS.has(sub) ? [] : passedOn(parsed, 0));
}

function npx(args: string[]): Step {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '--call') return { kind: 'unknown' };
    if (a === '-p' || a === '--package') i++;
    else if (a === '--') return classify(args.slice(i + 1));
    else if (!a.startsWith('-')) return classify(args.slice(i));
  }
  return { kind: 'none' };
}

/** `turbo run build lint --filter=api` and `lerna run build --scope api`: each named script in the packages they select. */
function taskRunner(head: string, args: string[]): Step {
  const {
    words: w,
    flags: f,
    passed,
  } = words(args, new Set(['--filter', '-F', '--scope', '--concurrency', '--cache-dir', '--team', '--token', '--output-logs', '--log-order']));
  if (passed.length > 0) return { kind: 'unknown' };
  const tasks = w[0] === 'run' ? w.slice(1) : head === 'turbo' ? w : [];
  if (tasks.length === 0) return { kind: 'unknown' };
  const filters = values(f, '--filter', '-F', '--scope');
  return script(tasks, { filters, recursive: filters.length === 0 }, null);
}

/** What one command is, for the build walk. */
function classify(argv: string[]): Step {
  const a = unwrap(argv);
  if (!a || a.length === 0) return a ? { kind: 'none' } : { kind: 'unknown' };
  const head = base(a[0]);
  const args = a.slice(1);
  if (BUILD_TOOLS.has(head)) return { kind: 'tool', argv: a };
  if ((head === 'sh' || head === 'bash') && args[0] === '-c' && args[1] !== undefined) return { kind: 'shell', text: args[1] };
  if (head === 'shx' || (head === 'corepack' && ['npm', 'pnpm', 'yarn', 'npx', 'pnpx'].includes(args[0] ?? ''))) return classify(args);
  switch (head) {
    case 'npm':
      return npm(args);
    case 'pnpm':
      return pnpm(args);
    case 'yarn':
      return yarn(args);
    case 'npx':
    case 'pnpx':
    case 'bunx':
      return npx(args);
    case 'turbo':
    case 'lerna':
      return taskRunner(head, args);
    default:
      break;
  }
  if (HARMLESS.has(head)) return { kind: 'none' };
  if (WRITERS.has(head)) return { kind: 'writes', ...writtenBy(head, args) };
  return { kind: 'unknown' };
}

const COPIERS = new Set(['cp', 'mv', 'ln', 'install', 'rsync']);
/** Copy tools whose last argument is the folder files land in (`copyfiles -u 1 "src/**\/*.json" dist`). */
const TO_FOLDER = new Set(['copyfiles', 'cpx', 'cpy', 'ncp']);

/** The extension every source of a copy has (`*.graphql`, `.env.example`); null when one may be a folder. */
function extensions(sources: string[]): string[] | null {
  const exts = sources.map((src) => {
    const name = path.posix.basename(src);
    return /[^.*?]\.[a-z][a-z0-9]*$|^\*\.[a-z][a-z0-9]*$/i.test(name) ? path.posix.extname(name) : null;
  });
  return exts.every((e): e is string => e !== null) ? exts : null;
}

/**
 * What a writer may create: for cp, mv, ln, install and rsync the destination
 * (`dest/<name>` when it is a folder), for copyfiles-like tools their folder,
 * for the others every path they name; with the extensions of what is copied
 * when the sources show them.
 */
function writtenBy(head: string, args: string[]): { paths: string[]; exts: string[] | null } {
  const paths = args.filter((x) => !x.startsWith('-') && !/^\d+$/.test(x));
  if (paths.length < 2 || (!COPIERS.has(head) && !TO_FOLDER.has(head)) || args.some((x) => x === '-t' || x.startsWith('--target-directory')))
    return { paths, exts: null };
  const dest = paths[paths.length - 1]!;
  const sources = paths.slice(0, -1);
  const exts = extensions(sources);
  if (TO_FOLDER.has(head) || !(dest.endsWith('/') || dest === '.' || dest === '..' || sources.length > 1)) return { paths: [dest], exts };
  const landed = sources.map((src) => {
    const name = path.posix.basename(src);
    const contents = /[*?[{]/.test(name) || name === '.' || name === '..' || (head === 'rsync' && src.endsWith('/'));
    return contents ? dest : path.posix.join(dest, name);
  });
  return { paths: landed, exts };
}

/** True when writing `p` (from `cwd`) may create `target` or a folder holding it. */
function mayWrite(cwd: string, written: string, target: string): boolean {
  const p = written.replace(/^~(?=\/|$)/, '/root');
  const cut = p.search(/[*?[{$~]/);
  if (cut === 0) return true;
  const literal = cut > 0 ? path.posix.dirname(p.slice(0, cut) + 'x') : p;
  const full = path.posix.resolve('/', cwd, literal);
  const t = path.posix.resolve('/', target);
  return cut > 0 ? within(full, t) || within(t, full) : full === t || within(full, t);
}

/** Output redirect targets (`> file`, `>> file`, `&> file`) of a parsed shell text. */
function redirectTargets(tree: ShellTree): string[] {
  const out: string[] = [];
  // mvdan-sh's walker is slow; most build lines redirect nothing.
  if (!tree.text.includes('>')) return out;
  const buf = Buffer.from(tree.text, 'utf8');
  const slice = (a: number, b: number) => buf.subarray(a, b).toString('utf8');
  sh.syntax.Walk(tree.ast, (node: any) => {
    if (node && sh.syntax.NodeType(node) === 'Redirect' && node.Word) {
      const op = slice(node.Pos().Offset(), node.Word.Pos().Offset()).trim();
      const word = slice(node.Word.Pos().Offset(), node.Word.End().Offset());
      if (op.includes('>') && !op.endsWith('>&') && !/^\/dev\/(null|stdout|stderr)$/.test(word)) out.push(word);
    }
    return true;
  });
  return out;
}

/**
 * One build, walked: the tool outputs it reaches, whether something it runs
 * is unknown, and the packages it installs (install runs their lifecycle
 * scripts, `prepare` among them).
 */
export class BuildWalk {
  readonly outputs: ToolOutput[] = [];
  unknown = false;
  readonly installed = new Set<string>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly ws: WorkspaceView,
    private readonly service: Service & { name?: string },
    /** The file the image runs, from the workspace root. */
    private readonly target: string,
  ) {}

  /** A shell text run at `place`; `cd(place, dir)` is the place after `cd dir`. */
  shell(text: string | ShellTree, place: Place, cd: (from: Place, dir: string) => Place, depth = 0): void {
    let tree: ShellTree;
    try {
      tree = typeof text === 'string' ? parseShell(text, 'build script') : text;
    } catch {
      this.unknown = true;
      return;
    }
    if (redirectTargets(tree).some((p) => mayWrite(place.cwd, p, place.target))) this.unknown = true;
    let here = place;
    for (const c of tree.commands) {
      if (c.args[0] === 'cd') here = cd(here, c.args[1] ?? '~');
      else this.command(c.args, here, cd, depth);
    }
  }

  command(argv: string[], place: Place, cd: (from: Place, dir: string) => Place, depth: number): void {
    if (this.unknown) return;
    const step = classify(argv);
    switch (step.kind) {
      case 'tool': {
        const outs = place.repo === null ? null : toolOutputs(this.ws, step.argv, place.repo, this.service);
        if (outs) this.outputs.push(...outs);
        else this.unknown = true;
        return;
      }
      case 'script': {
        const pkgs = this.packagesOf(step, place);
        if (pkgs === null) {
          this.unknown = true;
          return;
        }
        // pnpm and yarn run the binary of that name when the package has no such script.
        for (const pkg of pkgs)
          for (const name of step.names) if (!this.script(pkg, name, depth + 1) && step.orBin) this.command(step.orBin, { ...place, repo: pkg }, cd, depth + 1);
        return;
      }
      case 'install': {
        const dir = step.dir === null ? place.repo : place.repo === null ? null : join(place.repo, step.dir);
        const pkg = dir === null ? null : this.packageAt(dir);
        if (pkg !== null) this.installed.add(pkg);
        this.installed.add(this.service.dir);
        return;
      }
      case 'shell':
        return this.shell(step.text, place, cd, depth + 1);
      case 'writes':
        if (step.exts && !step.exts.includes(path.posix.extname(place.target))) return;
        if (step.paths.some((p) => mayWrite(place.cwd, p, place.target))) this.unknown = true;
        return;
      case 'unknown':
        this.unknown = true;
        return;
      default:
        return;
    }
  }

  /** Runs `scripts[name]` of the package in `dir`, with npm's pre and post scripts; false when it has none. */
  script(dir: string, name: string, depth: number): boolean {
    const scripts = manifestAt(this.ws, dir)?.scripts;
    const table = scripts && typeof scripts === 'object' ? (scripts as Record<string, unknown>) : {};
    if (typeof table[name] !== 'string') return false;
    const key = `${dir}\0${name}`;
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    if (depth > 12) {
      this.unknown = true;
      return true;
    }
    for (const n of [`pre${name}`, name, `post${name}`]) {
      const text = table[n];
      if (typeof text === 'string') this.shell(text, this.repoPlace(dir), (from, d) => this.repoPlace(join(from.cwd, d)), depth + 1);
    }
    return true;
  }

  /** Lifecycle scripts of the packages an install ran in. */
  lifecycle(): void {
    for (const dir of this.installed) for (const name of ['preinstall', 'install', 'postinstall', 'prepare']) this.script(dir, name, 1);
  }

  private repoPlace(dir: string): Place {
    return { cwd: dir, repo: dir.startsWith('..') ? null : dir, target: this.target };
  }

  private packageAt(dir: string): string | null {
    return selfAndAncestors(dir).find((d) => manifestAt(this.ws, d) !== null) ?? null;
  }

  /** The packages a script call runs in; null when the place does not say. */
  private packagesOf(step: Extract<Step, { kind: 'script' }>, place: Place): string[] | null {
    if (step.filters) return step.filters.some((f) => this.selects(f, place)) ? [this.service.dir] : [];
    if (step.recursive) return [this.service.dir];
    const dir = step.root ? '.' : step.dir === null ? place.repo : place.repo === null ? null : join(place.repo, step.dir);
    const pkg = dir === null ? null : this.packageAt(dir);
    return pkg === null ? null : [pkg];
  }

  /** Whether a pnpm/npm/yarn/turbo filter selects the service. */
  private selects(filter: string, place: Place): boolean {
    if (filter.startsWith('!') || filter.includes('^')) return false;
    const f = filter.replace(/^\.\.\./, '').replace(/\.\.\.$/, '');
    const braced = /^\{(.*)\}$/.exec(f);
    if (braced || f.startsWith('.') || f.startsWith('/')) return join(place.repo ?? '.', braced ? braced[1]! : f) === this.service.dir;
    // npm's --workspace also takes the package's folder.
    if (!f.startsWith('@') && f.includes('/') && join(place.repo ?? '.', f) === this.service.dir) return true;
    const name = typeof this.service.manifest.name === 'string' ? this.service.manifest.name : this.service.name;
    if (!name) return false;
    // pnpm matches a name without its scope when that is unambiguous: `api` selects `@acme/api`.
    if (!/[*?]/.test(f)) return f === name || (!f.startsWith('@') && f === name.replace(/^@[^/]+\//, ''));
    return new RegExp(
      `^${f
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    ).test(name);
  }
}
