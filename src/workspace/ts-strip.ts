// Reads a TypeScript config file without TypeScript: @babel/parser (a runtime
// dependency) parses it, and every type-only range is replaced by spaces, so
// the result is plain JavaScript with the same lines and columns (error
// positions still point into the user's file). This is the approach of
// ts-blank-space and Node's own --strip-types: erasable syntax only. Syntax
// that needs a compiler to emit code (enums, namespaces, parameter
// properties, `import x = require()`) is refused with file:line, never guessed.
import { parse } from '@babel/parser';

export class TypeStripError extends Error {}

interface Node {
  type: string;
  start: number;
  end: number;
  loc?: { start: { line: number } };
  [key: string]: unknown;
}

const SKIP_KEYS = new Set(['loc', 'start', 'end', 'extra', 'leadingComments', 'trailingComments', 'innerComments', 'range']);

/** Statements that are nothing but types: erased whole (with a wrapping `export`). */
const TYPE_ONLY = new Set(['TSInterfaceDeclaration', 'TSTypeAliasDeclaration', 'TSDeclareFunction']);

const NEEDS_COMPILER: Record<string, string> = {
  TSEnumDeclaration: 'an enum',
  TSModuleDeclaration: 'a namespace',
  TSParameterProperty: 'a constructor parameter property',
  TSImportEqualsDeclaration: '`import x = require(...)`',
  TSExportAssignment: '`export =`',
};

const isNode = (v: unknown): v is Node => !!v && typeof v === 'object' && typeof (v as Node).type === 'string' && typeof (v as Node).start === 'number';

/** Returns `text` with TypeScript-only syntax blanked out; throws TypeStripError naming file:line. */
export function stripTypes(text: string, file: string): string {
  let ast: Node;
  try {
    ast = parse(text, { sourceType: 'module', plugins: ['typescript'], errorRecovery: false }) as unknown as Node;
  } catch (err) {
    const e = err as { message: string; loc?: { line: number } };
    throw new TypeStripError(`${file}:${e.loc?.line ?? 1}: ${e.message.replace(/ \(\d+:\d+\)$/, '')}`);
  }
  const out = text.split('');
  const blank = (start: number, end: number) => {
    for (let i = start; i < end; i++) if (out[i] !== '\n' && out[i] !== '\r') out[i] = ' ';
  };
  const refuse = (node: Node, what: string): never => {
    throw new TypeStripError(`${file}:${node.loc?.start.line ?? 1}: ${what} needs the TypeScript compiler; shipshape only strips type annotations from a .ts config. Write it with plain values, or use shipshape.config.js / .json`);
  };
  /** Blanks one specifier of `{ a, type B, c }` together with its separating comma. */
  const blankSpecifier = (list: Node[], i: number) => {
    const spec = list[i]!;
    const next = list[i + 1];
    const prev = list[i - 1];
    if (next) blank(spec.start, next.start);
    else if (prev) blank(prev.end, spec.end);
    else blank(spec.start, spec.end);
  };
  /** The `?` of `x?: T` or the `!` of `let x!: T`, between the name and its annotation. */
  const blankMarker = (id: Node, marker: string) => {
    const name = typeof id.name === 'string' ? id.name : '';
    const from = id.start + name.length;
    const to = isNode(id.typeAnnotation) ? id.typeAnnotation.start : id.end;
    const at = text.indexOf(marker, from);
    if (at >= 0 && at < to) blank(at, at + 1);
  };

  const visit = (node: Node, parent: Node | null): void => {
    if (NEEDS_COMPILER[node.type] && !(node.type === 'TSModuleDeclaration' && node.declare)) refuse(node, NEEDS_COMPILER[node.type]!);
    if (TYPE_ONLY.has(node.type) || node.declare === true || (node.type === 'TSModuleDeclaration' && node.declare)) {
      const whole = parent && (parent.type === 'ExportNamedDeclaration' || parent.type === 'ExportDefaultDeclaration') ? parent : node;
      return blank(whole.start, whole.end);
    }
    switch (node.type) {
      case 'ImportDeclaration':
      case 'ExportNamedDeclaration':
        if (node.importKind === 'type' || node.exportKind === 'type') return blank(node.start, node.end);
        break;
      case 'TSTypeAnnotation':
      case 'TSTypeParameterDeclaration':
      case 'TSTypeParameterInstantiation':
        return blank(node.start, node.end);
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSNonNullExpression':
        visit(node.expression as Node, node);
        return blank((node.expression as Node).end, node.end);
      case 'TSTypeAssertion':
        blank(node.start, (node.expression as Node).start);
        return visit(node.expression as Node, node);
      case 'TSDeclareMethod':
      case 'TSIndexSignature':
        return blank(node.start, node.end);
      case 'ClassDeclaration':
      case 'ClassExpression':
        if (node.abstract || (Array.isArray(node.implements) && node.implements.length)) refuse(node, 'a class with `abstract` or `implements`');
        break;
      case 'ClassProperty':
      case 'ClassMethod':
      case 'ClassPrivateProperty':
        if (node.accessibility || node.abstract || node.override || node.readonly || node.optional || node.definite) refuse(node, 'a class member modifier (private, readonly, override, ?, !)');
        break;
      case 'Identifier':
        if (node.optional) blankMarker(node, '?');
        if (parent?.type === 'VariableDeclarator' && parent.definite && parent.id === node) blankMarker(node, '!');
        if (node.name === 'this' && isNode(node.typeAnnotation)) refuse(node, 'a `this` parameter');
        break;
      default:
        break;
    }
    for (const [key, value] of Object.entries(node)) {
      if (SKIP_KEYS.has(key)) continue;
      if (key === 'specifiers' && Array.isArray(value)) {
        // `import { type A, b }`: only the type specifiers go.
        value.forEach((spec, i) => {
          if (isNode(spec) && (spec.importKind === 'type' || spec.exportKind === 'type')) blankSpecifier(value as Node[], i);
        });
        continue;
      }
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) visit(child, node);
      } else if (isNode(value)) visit(value, node);
    }
  };
  visit(ast, null);
  return out.join('');
}
