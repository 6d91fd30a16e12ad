// Facts about a script that the engine's ShellTree (commands only) does not
// carry: which variables `set -u` would make fatal, and which names are shell
// functions (which `exec` cannot run). Adding -u to a script that reads an
// unset variable turns "unset means empty" into "unset kills the container at
// startup", so entrypoint-strict only adds it when there is none.
//
// This module walks the mvdan-sh AST the engine already parsed
// (ShellTree.ast), so the script is parsed once. Read-only.
import { createRequire } from 'node:module';
import type { ShellTree } from '../../../src/engine/shell.js';

const require = createRequire(import.meta.url);
// mvdan-sh ships CommonJS only, with no types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const sh: any = require('mvdan-sh');

/** Parameters `set -u` never complains about. */
const SPECIAL = new Set(['@', '*', '#', '?', '-', '$', '0']);
/** Set by the shell or by Docker in every container. */
const ALWAYS_SET = new Set(['HOME', 'PATH', 'HOSTNAME', 'PWD', 'IFS', 'PPID', 'OPTIND']);
/** `${X:-d}` `${X-d}` `${X:=d}` `${X=d}` `${X:?m}` `${X?m}` `${X:+a}` `${X+a}`: defined for unset X. */
const GUARDED = /^:?[-=?+]/;

export interface ScriptFacts {
  /**
   * Names read without a default that the script never assigns, in order of
   * first use (`1` for `$1`).
   */
  unsetReads: string[];
  /** Functions the script defines, and whether each runs `exec` somewhere in its body. */
  functions: Map<string, boolean>;
}

/** `alsoSet` are variables known to exist (the image's ENV). */
export function scriptFacts(tree: Pick<ShellTree, 'text' | 'ast'>, alsoSet: Iterable<string> = []): ScriptFacts {
  const { text, ast: file } = tree;
  const bytes = Buffer.from(text, 'utf8');
  const source = (node: { Pos(): { Offset(): number }; End(): { Offset(): number } }) => bytes.subarray(node.Pos().Offset(), node.End().Offset()).toString('utf8');
  const set = new Set<string>([...ALWAYS_SET, ...alsoSet]);
  const reads: string[] = [];
  const functions = new Map<string, boolean>();
  sh.syntax.Walk(file, (node: any) => {
    if (!node) return true;
    switch (sh.syntax.NodeType(node)) {
      case 'Assign':
        if (node.Name) set.add(node.Name.Value);
        break;
      case 'FuncDecl': {
        let execs = false;
        sh.syntax.Walk(node.Body, (inner: any) => {
          if (inner && sh.syntax.NodeType(inner) === 'CallExpr' && inner.Args.length > 0 && source(inner.Args[0]) === 'exec') execs = true;
          return true;
        });
        functions.set(node.Name.Value, execs);
        break;
      }
      case 'ForClause':
        if (node.Loop?.Name) set.add(node.Loop.Name.Value);
        break;
      case 'CallExpr': {
        const words = (node.Args as any[]).map((w) => source(w));
        if (words[0] === 'read') for (const w of words.slice(1)) if (/^[A-Za-z_]\w*$/.test(w)) set.add(w);
        break;
      }
      case 'ParamExp': {
        const name: string = node.Param.Value;
        if (SPECIAL.has(name)) break;
        const after = node.Exp && !node.Length && !node.Excl ? source(node).slice(2 + name.length) : '';
        if (GUARDED.test(after)) {
          // `${X:?msg}` / `${X:=d}` make X safe for every later read too.
          if (/^:?[=?]/.test(after)) set.add(name);
        } else reads.push(name);
        break;
      }
    }
    return true;
  });
  return { unsetReads: [...new Set(reads.filter((n) => !set.has(n)))], functions };
}
