// Who the final image runs as. Kubernetes `runAsNonRoot` can only verify a
// numeric USER, so a name must be mapped to its uid:gid: from the
// addgroup/adduser (busybox) or groupadd/useradd (shadow) commands of the
// image's RUN lines, or from the users the base image ships (`node` = 1000).
// A `USER $VAR` is read through the ARG/ENV defaults the Dockerfile states.
import type { Variable } from 'dockerfile-ast';
import type { DockerInstruction, DockerfileTree } from '../../../src/engine/dockerfile.js';
import { stripWrappers } from '../../../src/engine/shell.js';
import { baseImage, imageInstructions, isOfficialNode, osFamily } from './stage-image.js';

export interface Account {
  name: string;
  uid: number;
  /** Primary gid; null when the tool picks it and the Dockerfile does not say. */
  gid: number | null;
}

export interface Accounts {
  users: Map<string, Account>;
  groups: Map<string, number>;
  /** Users the image's own RUN lines create, in order. */
  created: Account[];
  /** Users a RUN line creates without `-u`/`--uid`: their uid is whatever the tool picks. */
  unnumbered: Set<string>;
}

/** Flags that take a value, per tool (short and long forms). */
const VALUE_FLAGS: Record<string, string[]> = {
  addgroup: ['-g', '--gid'],
  groupadd: ['-g', '--gid', '-K', '--key', '-p', '--password', '-R', '--root', '-P', '--prefix'],
  adduser: ['-h', '--home', '-g', '--gecos', '-s', '--shell', '-G', '--ingroup', '-u', '--uid', '-k', '--skel', '--gid', '--firstuid', '--lastuid', '--conf', '--comment'],
  useradd: ['-u', '--uid', '-g', '--gid', '-G', '--groups', '-d', '--home-dir', '-s', '--shell', '-c', '--comment', '-b', '--base-dir', '-e', '--expiredate', '-f', '--inactive', '-k', '--skel', '-K', '--key', '-p', '--password', '-R', '--root', '-P', '--prefix', '-Z', '--selinux-user'],
};

interface Parsed {
  flags: Map<string, string | true>;
  positional: string[];
}

function parseArgs(tool: string, args: string[]): Parsed {
  const takesValue = VALUE_FLAGS[tool] ?? [];
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) flags.set(a.slice(0, eq), a.slice(eq + 1));
    else if (takesValue.includes(a)) flags.set(a, args[++i] ?? '');
    else if (!a.startsWith('--') && a.length > 2 && takesValue.includes(a.slice(0, 2))) flags.set(a.slice(0, 2), a.slice(2));
    else if (!a.startsWith('--') && a.length > 2) for (const c of a.slice(1)) flags.set(`-${c}`, true);
    else flags.set(a, true);
  }
  return { flags, positional };
}

const flag = (p: Parsed, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = p.flags.get(n);
    if (typeof v === 'string') return v;
  }
  return undefined;
};
const has = (p: Parsed, ...names: string[]) => names.some((n) => p.flags.has(n));
const num = (v: string | undefined): number | null => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);

function recordGroup(acc: Accounts, tool: string, p: Parsed): void {
  // `addgroup USER GROUP` (busybox) adds a user to a group: not a new group.
  if (tool === 'addgroup' && p.positional.length !== 1) return;
  const name = p.positional[0];
  const gid = num(flag(p, '-g', '--gid'));
  if (name && gid !== null) acc.groups.set(name, gid);
}

function groupGid(acc: Accounts, group: string): number | null {
  return num(group) ?? acc.groups.get(group) ?? null;
}

function recordUser(acc: Accounts, tool: string, p: Parsed, busybox: boolean): void {
  const name = p.positional[0];
  const uid = num(flag(p, '-u', '--uid'));
  if (name && uid === null) acc.unnumbered.add(name);
  if (!name || uid === null) return;
  // The group named on the command line, else a group of the same name created
  // before (the usual `addgroup -S app && adduser -S app` intent), else what
  // the tool does on its own: busybox without -S makes a group with gid = uid;
  // busybox -S (nogroup) and shadow's own choice are left to /etc/passwd.
  const explicit = tool === 'useradd' ? flag(p, '-g', '--gid') : (flag(p, '-G', '--ingroup', '--gid') ?? p.positional[1]);
  const sameName = acc.groups.get(name) ?? null;
  const own = busybox && !has(p, '-S', '--system') ? uid : null;
  const gid = explicit !== undefined ? groupGid(acc, explicit) : (sameName ?? own);
  const account = { name, uid, gid };
  acc.users.set(name, account);
  acc.created.push(account);
  acc.unnumbered.delete(name);
}

/** Users and groups the final image defines, base image ones included. */
export function accounts(tree: DockerfileTree): Accounts {
  const acc: Accounts = { users: new Map(), groups: new Map(), created: [], unnumbered: new Set() };
  const base = baseImage(tree);
  if (isOfficialNode(base)) {
    acc.groups.set('node', 1000);
    acc.users.set('node', { name: 'node', uid: 1000, gid: 1000 });
  }
  const family = osFamily(base);
  if (family === 'distroless' || family === 'chainguard') {
    acc.groups.set('nonroot', 65532);
    acc.users.set('nonroot', { name: 'nonroot', uid: 65532, gid: 65532 });
  }
  acc.groups.set('root', 0);
  acc.users.set('root', { name: 'root', uid: 0, gid: 0 });
  // Busybox adduser on Alpine (and wherever short -u flags are used); Debian's adduser takes long ones.
  const busybox = (args: string[]) => family === 'alpine' || args.includes('-u');
  for (const i of imageInstructions(tree)) {
    if (i.keyword !== 'RUN') continue;
    for (const cmd of tree.shellOf(i)?.commands ?? []) {
      const [tool, ...args] = stripWrappers(cmd.args);
      if (!tool || !(tool in VALUE_FLAGS)) continue;
      const parsed = parseArgs(tool, args);
      if (tool === 'addgroup' || tool === 'groupadd') recordGroup(acc, tool, parsed);
      else recordUser(acc, tool, parsed, tool === 'adduser' && busybox(args));
    }
  }
  return acc;
}

export interface UserSpec {
  instr: DockerInstruction;
  /** The argument as written: `nodejs:nodejs`, `${APP_USER}`. */
  written: string;
  /** True when `written` names a build variable (ARG/ENV), which `docker build --build-arg` may change. */
  variable: boolean;
  /** User and group with variables replaced by the defaults the Dockerfile states; null when one has none. */
  resolved: { user: string; group: string | null } | null;
}

/** `{line, character}` of dockerfile-ast to an offset in `text`. */
export function offsetAt(text: string, pos: { line: number; character: number }): number {
  let offset = 0;
  for (let l = 0; l < pos.line; l++) offset = text.indexOf('\n', offset) + 1;
  return offset + pos.character;
}

/**
 * The value Docker gives one variable reference, from the ARG/ENV defaults in
 * scope at `line0`; null when the Dockerfile does not say (no default, or a
 * modifier other than `:-`).
 */
function variableValue(tree: DockerfileTree, v: Variable, line0: number): string | null {
  const stated = tree.ast.resolveVariable(v.getName(), line0);
  // A default that is itself a variable (`ARG U=${BASE_USER}`) is as unknown as none.
  const value = typeof stated === 'string' && stated.includes('$') ? undefined : stated;
  const modifier = v.getModifier();
  if (modifier === null) return typeof value === 'string' ? value : null;
  if (modifier === '-') return typeof value === 'string' && value !== '' ? value : (v.getSubstitutionParameter() ?? '');
  return null;
}

/** The USER argument with its variables replaced, or null when one of them is unknown. */
function expandUser(tree: DockerfileTree, instr: DockerInstruction): string | null {
  const arg = instr.node.getArguments()[0];
  if (!arg) return null;
  const { text } = tree;
  const end = offsetAt(text, arg.getRange().end);
  const line0 = instr.line - 1;
  let cursor = offsetAt(text, arg.getRange().start);
  let out = '';
  for (const v of instr.node.getVariables()) {
    const value = variableValue(tree, v, line0);
    if (value === null) return null;
    const range = v.getRange();
    out += text.slice(cursor, offsetAt(text, range.start)) + value;
    cursor = offsetAt(text, range.end);
  }
  return out + text.slice(cursor, end);
}

/** The USER in effect for the final image; null when no USER is set anywhere in its chain. */
export function effectiveUser(tree: DockerfileTree): UserSpec | null {
  const last = [...imageInstructions(tree)].reverse().find((i) => i.keyword === 'USER');
  if (!last) return null;
  const written = last.args.trim();
  const variable = last.node.getVariables().length > 0;
  const expanded = variable ? expandUser(tree, last) : written;
  if (expanded === null) return { instr: last, written, variable, resolved: null };
  const [user = '', group] = expanded.split(':');
  return { instr: last, written, variable, resolved: { user, group: group ?? null } };
}

/** The uid `user` stands for, or null when neither the Dockerfile nor its base image says. */
export function uidOf(acc: Accounts, user: string): number | null {
  return num(user) ?? acc.users.get(user)?.uid ?? null;
}

/** Numeric `uid[:gid]` for `spec`, or null when the name cannot be mapped. */
export function numericFor(acc: Accounts, spec: { user: string; group: string | null }): string | null {
  const uid = uidOf(acc, spec.user);
  if (uid === null) return null;
  const gid = spec.group !== null ? groupGid(acc, spec.group) : (acc.users.get(spec.user)?.gid ?? null);
  if (spec.group !== null && gid === null) return null;
  return gid === null ? String(uid) : `${uid}:${gid}`;
}

/**
 * `--chown=<user>[:<group>]` in numbers, meaning kept: BuildKit gives a user
 * named without a group its passwd primary gid, but a bare uid the gid equal
 * to it, so a name is only rewritten when its primary gid is known.
 */
export function numericChown(acc: Accounts, value: string): string | null {
  const [user = '', group] = value.split(':');
  const numeric = numericFor(acc, { user, group: group ?? null });
  return numeric !== null && numeric.includes(':') ? numeric : null;
}

/** Why `spec` has no known number: what shipshape looked for and did not find. */
export function whyUnknown(acc: Accounts, spec: { user: string; group: string | null }, image: string): string {
  if (uidOf(acc, spec.user) !== null) return `the Dockerfile does not say the gid of group ${spec.group}`;
  if (acc.unnumbered.has(spec.user)) return `the Dockerfile creates ${spec.user} without -u/--uid, so its uid is whatever the tool picks at build time`;
  return `neither this Dockerfile nor its base image (${image}) says the uid of ${spec.user}`;
}

/** True when the base image already runs as an unprivileged numeric user by default. */
export function baseRunsNonRoot(tree: DockerfileTree): boolean {
  const base = baseImage(tree);
  if (!base) return false;
  const family = osFamily(base);
  if (family === 'distroless') return /nonroot/.test(base.tag ?? '');
  if (family === 'chainguard') return !/dev/.test(base.tag ?? '');
  return false;
}
