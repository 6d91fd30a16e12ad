// The port a compose service listens on inside its container, from what the
// entry itself says: `environment: PORT`, then the container side of `ports`,
// then `expose`. Pure functions over yaml nodes.
import { isAlias, isMap, isScalar, isSeq, type Document } from 'yaml';
import { scalarText } from './compose-file.js';

const PORT = /^\d{2,5}$/;
/** `${VAR:-3000}` / `${VAR-3000}`: compose's default wins when VAR is unset. */
const DEFAULTED = /^\$\{\w+:?-(\d{2,5})\}$/;

function portValue(value: string | null): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (PORT.test(v)) return Number(v);
  const m = DEFAULTED.exec(v);
  return m ? Number(m[1]) : null;
}

/** `PORT` from `environment:` in map (own key or `<<:` merged anchor) or `KEY=value` list form. */
export function environmentPort(env: unknown, doc: Document): number | null {
  if (isMap(env)) {
    if (env.has('PORT')) return portValue(scalarText(env.get('PORT', true)));
    const merged = env.get('<<', true);
    for (const source of isSeq(merged) ? merged.items : [merged]) {
      const target = isAlias(source) ? source.resolve(doc) : source;
      if (isMap(target) && target.has('PORT')) return portValue(scalarText(target.get('PORT', true)));
    }
    return null;
  }
  if (isSeq(env))
    for (const item of env.items) {
      const text = scalarText(item);
      if (text?.startsWith('PORT=')) return portValue(text.slice('PORT='.length));
    }
  return null;
}

/** Container side of the first `ports:` entry: `3000`, `"8080:3000"`, `"127.0.0.1:8080:3000/tcp"`, `{target: 3000}`. */
export function publishedContainerPort(ports: unknown): number | null {
  if (!isSeq(ports)) return null;
  for (const item of ports.items) {
    if (isMap(item)) {
      const target = portValue(scalarText(item.get('target', true)));
      if (target !== null) return target;
      continue;
    }
    if (!isScalar(item)) continue;
    const text = scalarText(item);
    const last = text?.replace(/\/(tcp|udp|sctp)$/, '').split(':').pop() ?? null;
    const port = portValue(last);
    if (port !== null) return port;
  }
  return null;
}
