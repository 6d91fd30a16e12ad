// consumer-ref-shutdown: when ECS, Kubernetes or compose stops a worker it
// sends SIGTERM and waits a grace window. A kafkajs consumer that is not
// disconnected on SIGTERM never leaves its group: the broker waits for the
// session timeout before it rebalances, and the messages it was processing are
// delivered twice. The audit's notification-worker had a SIGTERM handler that
// closed MongoDB and nothing else.
//
// The fix gives every consumer (and producer) a binding the handler can reach
// — a module-level `consumerRef` set where a function creates it, or the class
// field it already lives on — and one SIGTERM handler that disconnects them,
// closes the database clients the module can see, exits 0, and arms an
// unref'd timer that forces exit if shutdown hangs (below compose's 10 s
// window). An existing handler is extended, never duplicated; SIGINT re-emits
// SIGTERM so Ctrl-C and `docker stop` take the same path.
import { readOnly } from '../../src/engine/node-index.js';
import { jscodeshiftAdapter } from '../../src/engine/jscodeshift-adapter.js';
import type { CodeContext, Report, RuleMeta, Transform } from '../../src/engine/types.js';
import { lineOf, statements } from './lib/snippet.js';
import { spacedStatements } from './lib/startup-retry.js';
import { descendants, idName, listens, memberCall, moduleBindings, prepareTopLevel, programBody, type AnyNode } from './lib/worker-ast.js';
import {
  databaseClients,
  hasExit,
  hasForceExit,
  kafkaClients,
  moduleInstances,
  releasedKeys,
  shutdownPath,
  type DbClient,
  type KafkaClient,
  type KafkaKind,
  type ShutdownPath,
} from './lib/worker-shutdown.js';

const ID = 'consumer-ref-shutdown';
const NOT_STOPPED = 'consumer-not-stopped';
const SIGINT = 'sigint-not-handled';
/** Forced-exit delay: inside compose's 10 s grace window (ECS and Kubernetes give 30 s). */
const FORCE_EXIT_MS = 8000;

const rules: Record<string, RuleMeta> = {
  [NOT_STOPPED]: {
    id: NOT_STOPPED,
    severity: 'blocking',
    description: 'a kafkajs consumer is created but no SIGTERM path disconnects it',
    rationale:
      'A consumer that is not disconnected on SIGTERM stays in its group until the session times out: partitions stall, then rebalance, and in-flight messages are processed twice.',
    fixedBy: ID,
  },
  [SIGINT]: {
    id: SIGINT,
    severity: 'info',
    description: 'SIGTERM handled, SIGINT not',
    rationale: 'Ctrl-C in development and some orchestrators send SIGINT; without a handler the worker dies mid-message instead of shutting down cleanly.',
    fixedBy: ID,
  },
};

interface Match {
  rule: string;
  line: number;
  message: string;
  manual?: string;
}

/** How the shutdown path reaches one kafkajs client, once the fix is in. */
interface Reach {
  client: KafkaClient;
  /** The statement that disconnects it. */
  stop: string;
}

interface Analysis {
  matches: Match[];
  /** Clients to disconnect (consumers not stopped, and producers alongside them). */
  reach: Reach[];
  dbs: DbClient[];
  shutdown: ShutdownPath;
  addSigint: boolean;
}

// ---------------------------------------------------------------------------
// matching

function refName(kind: KafkaKind, count: number): string {
  return count > 1 ? `${kind}Refs` : `${kind}Ref`;
}

/** The statement that disconnects a client, or a reason why shipshape cannot write one. */
function stopFor(ctx: CodeContext, c: KafkaClient, locals: Map<KafkaKind, number>): { stop?: string; manual?: string } {
  const h = c.holder;
  switch (h.type) {
    case 'module':
      return { stop: `await ${h.name}${h.isLet ? '?.' : '.'}disconnect();` };
    case 'ref':
      return { stop: h.array ? `await Promise.all(${h.name}.map((${c.kind}) => ${c.kind}.disconnect()));` : `await ${h.name}?.disconnect();` };
    case 'local': {
      const count = locals.get(c.kind) ?? 1;
      const ref = refName(c.kind, count);
      const taken = moduleBindings(ctx.j, ctx.root).has(ref);
      if (taken) return { manual: `the module already declares ${ref} for something else; keep this ${c.kind} in a module-level variable and disconnect it on SIGTERM` };
      return { stop: count > 1 ? `await Promise.all(${ref}.map((${c.kind}) => ${c.kind}.disconnect()));` : `await ${ref}?.disconnect();` };
    }
    case 'field': {
      const instance = [...moduleInstances(ctx.j, ctx.root)].find(([, cls]) => cls === h.cls)?.[0];
      if (!instance) return { manual: `the ${c.kind} lives on a ${h.cls.id?.name ?? 'class'} instance that is not a module-level const, so no SIGTERM handler can reach it` };
      const method = h.cls.body.body.find((m: AnyNode) => {
        if (m.type !== 'ClassMethod' || !idName(m.key) || m.kind !== 'method') return false;
        return descendants(m.body, true).some((n) => {
          const call = memberCall(n);
          const obj = call?.object;
          return !!call && (call.property === 'disconnect' || call.property === 'stop') && obj?.type === 'MemberExpression' && obj.object.type === 'ThisExpression' && idName(obj.property) === h.field;
        });
      });
      if (method) return { stop: `await ${instance}.${method.key.name}();` };
      if (h.isPrivate) return { manual: `${h.cls.id?.name ?? 'the class'}.${h.field} is private and no method disconnects it; add a stop() method and call it on SIGTERM` };
      return { stop: `await ${instance}.${h.field}.disconnect();` };
    }
    default:
      return h.returned
        ? { manual: `the ${c.kind} is returned to the caller, which must keep it in a module-level ${c.kind}Ref and disconnect it on SIGTERM` }
        : { manual: `the ${c.kind} is not kept in a variable a SIGTERM handler can reach; keep it in a module-level ${c.kind}Ref and disconnect it on SIGTERM` };
  }
}

function isStopped(ctx: CodeContext, c: KafkaClient, released: Set<string>): boolean {
  const h = c.holder;
  if (h.type === 'module' || h.type === 'ref') return released.has(h.name);
  if (h.type === 'field') {
    if (h.cls.id && released.has(`${h.cls.id.name}#${h.field}`)) return true;
    return [...moduleInstances(ctx.j, ctx.root)].some(([inst, cls]) => cls === h.cls && released.has(`${inst}.${h.field}`));
  }
  return false;
}

function analyze(ctx: CodeContext): Analysis {
  const { j, root } = ctx;
  const shutdown = shutdownPath(ctx);
  const none: Analysis = { matches: [], reach: [], dbs: [], shutdown, addSigint: false };
  const clients = kafkaClients(ctx);
  if (clients.length === 0) return none;
  const released = releasedKeys(j, root, shutdown.scope);
  const open = clients.filter((c) => !isStopped(ctx, c, released));
  const locals = new Map<KafkaKind, number>();
  for (const c of open) if (c.holder.type === 'local') locals.set(c.kind, (locals.get(c.kind) ?? 0) + 1);

  const matches: Match[] = [];
  const reach: Reach[] = [];
  const unreachableHandler = shutdown.sigterm && !shutdown.target;
  for (const c of open) {
    const { stop, manual } = unreachableHandler
      ? { stop: undefined, manual: 'the SIGTERM handler is defined in another module; disconnect the consumer there' }
      : stopFor(ctx, c, locals);
    if (stop) reach.push({ client: c, stop });
    if (c.kind !== 'consumer') continue;
    const what = shutdown.sigterm ? `the SIGTERM handler (line ${lineOf(shutdown.sigterm)}) does not disconnect this kafkajs consumer` : 'no SIGTERM handler disconnects this kafkajs consumer';
    matches.push(manual ? { rule: NOT_STOPPED, line: c.line, message: `manual: ${what}; ${manual}`, manual } : { rule: NOT_STOPPED, line: c.line, message: `${what}; it stays in its group until the session times out` });
  }
  const fixesConsumers = reach.some((r) => r.client.kind === 'consumer');
  const addSigint = !shutdown.sigint && (!!shutdown.sigterm || fixesConsumers);
  if (shutdown.sigterm && !shutdown.sigint && !listens(j, root))
    matches.push({ rule: SIGINT, line: lineOf(shutdown.sigterm), message: 'SIGTERM is handled but SIGINT is not; make SIGINT take the same shutdown path' });
  const dbs = fixesConsumers ? databaseClients(ctx).filter((d) => !released.has(d.name)) : [];
  return { matches, reach: fixesConsumers ? reach : [], dbs, shutdown, addSigint };
}

// ---------------------------------------------------------------------------
// fixing

/** The kafkajs type name for a client kind, importing it when the file does not yet. */
function kafkaType(ctx: CodeContext, kind: KafkaKind): string {
  const { j, root } = ctx;
  const name = kind === 'consumer' ? 'Consumer' : 'Producer';
  const decls = root.find(j.ImportDeclaration, { source: { value: 'kafkajs' } }).nodes() as AnyNode[];
  const all = decls.flatMap((d) => (d.specifiers ?? []) as AnyNode[]);
  const ns = all.find((s) => s.type === 'ImportNamespaceSpecifier');
  if (ns) return `${ns.local.name}.${name}`;
  const existing = all.find((s) => s.type === 'ImportSpecifier' && idName(s.imported) === name);
  if (existing) return existing.local.name;
  const decl = decls.find((d) => d.importKind !== 'type' && d.specifiers?.some((s: AnyNode) => s.type === 'ImportSpecifier'));
  const specifiers = (decl?.specifiers ?? []) as AnyNode[];
  const named = specifiers.filter((s) => s.type === 'ImportSpecifier');
  if (decl && named.length > 0) {
    const spec = j.importSpecifier(j.identifier(name));
    const keys = named.map((s) => String(s.imported.name).toLowerCase());
    const sorted = keys.every((k, i) => i === 0 || keys[i - 1]! <= k);
    const at = sorted ? specifiers.findIndex((s) => s.type === 'ImportSpecifier' && String(s.imported.name).toLowerCase() > name.toLowerCase()) : -1;
    if (at < 0) specifiers.push(spec);
    else specifiers.splice(at, 0, spec);
    return name;
  }
  const body = programBody(j, root);
  const last = body.map((s) => s.type).lastIndexOf('ImportDeclaration');
  body.splice(last + 1, 0, ...(statements(ctx, `import type { ${name} } from 'kafkajs';`) as AnyNode[]));
  return name;
}

/** Declares the module-level refs and sets them where each local client is created. */
function addRefs(ctx: CodeContext, locals: KafkaClient[]): void {
  const { j, root } = ctx;
  const ts = ctx.parser !== 'babylon';
  const body = programBody(j, root);
  for (const kind of ['consumer', 'producer'] as const) {
    const mine = locals.filter((c) => c.kind === kind);
    if (mine.length === 0) continue;
    const ref = refName(kind, mine.length);
    const type = ts ? kafkaType(ctx, kind) : '';
    const decl =
      mine.length > 1
        ? `// Kept at module level so the SIGTERM handler can disconnect them.\nconst ${ref}${ts ? `: ${type}[]` : ''} = [];`
        : `// Kept at module level so the SIGTERM handler can disconnect it.\nlet ${ref}${ts ? `: ${type} | null` : ''} = null;`;
    // After the module's last `let`/`var` above the function, else right above it.
    const fnIndex = body.findIndex((s) => descendants(s, true).includes(mine[0]!.call));
    let at = fnIndex;
    for (let i = fnIndex - 1; i >= 0; i--)
      if (body[i]!.type === 'VariableDeclaration' && body[i]!.kind !== 'const') {
        at = i + 1;
        break;
      }
    body.splice(at, 0, ...(statements(ctx, decl) as AnyNode[]));
    for (const c of mine) {
      if (c.holder.type !== 'local') continue;
      const set = mine.length > 1 ? `${ref}.push(${c.holder.name});` : `${ref} = ${c.holder.name};`;
      const declaration = c.holder.declaration;
      root
        .find(j.Node)
        .filter((p) => p.node === declaration)
        .forEach((p) => p.insertAfter(statements(ctx, set)[0]));
    }
  }
}

function isLog(stmt: AnyNode): boolean {
  const call = stmt.type === 'ExpressionStatement' ? stmt.expression : null;
  const m = memberCall(call);
  return !!m && (idName(m.object) === 'console' || /log/i.test(idName(m.object) ?? ''));
}

/** Adds the disconnects (and a forced-exit timer, and a final exit) to the existing handler. */
function extendHandler(ctx: CodeContext, shutdown: ShutdownPath, stops: string[]): void {
  const { j } = ctx;
  const fn = shutdown.target!;
  if (fn.body.type !== 'BlockStatement') fn.body = j.blockStatement([j.expressionStatement(fn.body)]);
  const body = fn.body.body as AnyNode[];
  if (stops.length > 0) fn.async = true;
  let at = 0;
  while (at < body.length && isLog(body[at]!)) at++;
  const timer = hasForceExit(shutdown.scope) ? [] : [`setTimeout(() => process.exit(1), ${FORCE_EXIT_MS}).unref();`];
  // Inside an existing try that already releases something, so a failure is logged the same way.
  const tryStmt = body.find((s) => s.type === 'TryStatement' && descendants(s.block, true).some((n) => /^(close|quit|end|disconnect|\$disconnect|stop)$/.test(memberCall(n)?.property ?? '')));
  // Each group is parsed from one snippet so recast prints it one statement per line.
  const parse = (lines: string[]) => (lines.length ? (statements(ctx, lines.join('\n')) as AnyNode[]) : []);
  if (tryStmt) tryStmt.block.body.unshift(...parse(stops));
  body.splice(at, 0, ...parse(tryStmt ? timer : [...timer, ...stops]));
  if (!hasExit(shutdown.scope)) body.push(...(statements(ctx, 'process.exit(0);') as AnyNode[]));
}

function newHandler(stops: string[]): string {
  const indented = stops.map((s) => `    ${s}`).join('\n');
  return `// On SIGTERM (docker stop, ECS, Kubernetes) leave the consumer group and close clients; exit is forced after ${FORCE_EXIT_MS / 1000} s.
process.on('SIGTERM', async () => {
  console.log('SIGTERM received, shutting down');
  setTimeout(() => process.exit(1), ${FORCE_EXIT_MS}).unref();
  try {
${indented}
  } catch (err) {
    console.error('Error during shutdown:', err);
  }
  process.exit(0);
});`;
}

const SIGINT_LINE = "process.on('SIGINT', () => process.emit('SIGTERM'));";

function fix(ctx: CodeContext): boolean {
  const { j, root } = ctx;
  const a = readOnly(root, () => analyze(ctx));
  const wanted = (rule: string) => a.matches.some((m) => m.rule === rule && !m.manual && !ctx.suppressed(rule, m.line));
  const stopping = wanted(NOT_STOPPED);
  const sigint = a.addSigint && (stopping || wanted(SIGINT));
  if (!stopping && !sigint) return false;
  const body = prepareTopLevel(j, root);
  if (stopping) {
    // Consumers first (stop taking work), then producers, then the databases they write to.
    const clients = a.reach
      .map((r) => r.client)
      .filter((c) => c.kind !== 'consumer' || !ctx.suppressed(NOT_STOPPED, c.line))
      .sort((x, y) => (x.kind === y.kind ? 0 : x.kind === 'consumer' ? -1 : 1));
    // Ref names depend on how many locals of a kind remain once suppressed ones are left out.
    const locals = new Map<KafkaKind, number>();
    for (const c of clients) if (c.holder.type === 'local') locals.set(c.kind, (locals.get(c.kind) ?? 0) + 1);
    const stops = [
      ...clients.flatMap((c) => stopFor(ctx, c, locals).stop ?? []),
      ...a.dbs.map((d) => `await ${d.name}${d.optional ? '?.' : '.'}${d.method}();`),
    ];
    addRefs(
      ctx,
      clients.filter((c) => c.holder.type === 'local'),
    );
    // Promise.all stops for several refs are one statement per kind.
    const unique = [...new Set(stops)];
    if (a.shutdown.sigterm) extendHandler(ctx, a.shutdown, unique);
    else body.push(...spacedStatements(ctx, `${newHandler(unique)}\n${SIGINT_LINE}`));
  }
  if (sigint && a.shutdown.statement) {
    const index = body.indexOf(a.shutdown.statement);
    // Parsed a line down so recast starts it on a line of its own even when the handler it follows ends
    // the file with no newline (`});process.on(…)`, or a parse error after `})` without `;`).
    body.splice(index + 1, 0, ...(statements(ctx, `\n${SIGINT_LINE}`) as AnyNode[]));
  }
  return true;
}

function detect(ctx: CodeContext): Report[] {
  return analyze(ctx).matches.map((m) => ({ rule: m.rule, line: m.line, message: m.message, ...(m.manual ? { fixable: false } : {}) }));
}

export const transform: Transform<'code'> = {
  id: ID,
  kind: 'code',
  description: 'keep kafkajs consumers in a module-level ref and disconnect them (and DB clients) in one SIGTERM handler; SIGINT re-emits SIGTERM',
  // kafkajs clients: `new Kafka`, a `kafka` binding, or `.consumer()` / `.producer()` on a traced client.
  needles: [/kafka/i, 'consumer', 'producer'],
  rules,
  detect,
  fix,
};

export default jscodeshiftAdapter(transform);
