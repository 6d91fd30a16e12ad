// Alias resolution for documents read many times over: yaml's Alias#resolve
// walks the whole document on every call, so a compose file whose 150
// services each merge `<<: *env` cost 150 walks for one question per service,
// and more for every rule that asks again.
import { isAlias, isCollection, isScalar, visit, type Alias, type Document, type Node } from 'yaml';

const anchorsOf = new WeakMap<Document, Node[]>();

/**
 * What `alias.resolve(doc)` returns: the last node anchored with the alias's
 * name before the alias. The aliases and anchored nodes are gathered once per
 * document; fixers never add, drop or rename an anchor (they leave anchored
 * nodes to a human), so the list stays true while a fixer edits the document,
 * and an alias made after it was gathered is resolved by yaml itself.
 */
export function resolveAlias(doc: Document, alias: Alias): Node | undefined {
  let nodes = anchorsOf.get(doc);
  if (!nodes) {
    const found: Node[] = [];
    visit(doc, {
      Node: (_key, node) => {
        if (isAlias(node) || ((isScalar(node) || isCollection(node)) && node.anchor)) found.push(node);
      },
    });
    anchorsOf.set(doc, (nodes = found));
  }
  let target: Node | undefined;
  for (const node of nodes) {
    if (node === alias) return target;
    if ((node as { anchor?: string }).anchor === alias.source) target = node;
  }
  return alias.resolve(doc) as Node | undefined;
}
