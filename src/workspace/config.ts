// shipshape.config.{json,js,mjs,cjs,ts,mts} or package.json#shipshape: rule
// severities, ignored services, defaults. Validated key by key so a typo is
// one clear error naming the key (the CLI exits 2 on a ConfigError).
import fs from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResolvedConfig, RuleSeverity } from '../engine/types.js';

export class ConfigError extends Error {}

const SEVERITIES = new Set(['blocking', 'risky', 'info', 'off']);

export function emptyConfig(): ResolvedConfig {
  return { rules: {}, ignoreServices: [], defaults: {} };
}

/** Validates a raw config object; `knownRules` guards against typos in rule ids. */
export function validateConfig(raw: unknown, source: string, knownRules: Set<string>): ResolvedConfig {
  const fail = (key: string, why: string): never => {
    throw new ConfigError(`${source}: "${key}" ${why}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('(root)', 'must be an object');
  const cfg = raw as Record<string, unknown>;
  const out = emptyConfig();
  for (const key of Object.keys(cfg)) if (!['rules', 'ignoreServices', 'defaults', '$schema'].includes(key)) fail(key, 'is not a known key (rules, ignoreServices, defaults)');
  if (cfg.rules !== undefined) {
    if (!cfg.rules || typeof cfg.rules !== 'object' || Array.isArray(cfg.rules)) fail('rules', 'must be an object of rule id to severity');
    for (const [rule, sev] of Object.entries(cfg.rules as object)) {
      if (!knownRules.has(rule)) fail(`rules.${rule}`, 'is not a rule id (see `shipshape rules`)');
      if (typeof sev !== 'string' || !SEVERITIES.has(sev)) fail(`rules.${rule}`, 'must be one of blocking, risky, info, off');
      out.rules[rule] = sev as RuleSeverity;
    }
  }
  if (cfg.ignoreServices !== undefined) {
    if (!Array.isArray(cfg.ignoreServices) || !cfg.ignoreServices.every((s) => typeof s === 'string')) fail('ignoreServices', 'must be an array of service names');
    out.ignoreServices = cfg.ignoreServices as string[];
  }
  if (cfg.defaults !== undefined) {
    const d = cfg.defaults as Record<string, unknown>;
    if (!d || typeof d !== 'object' || Array.isArray(d)) fail('defaults', 'must be an object');
    for (const key of Object.keys(d)) if (!['pnpmVersion', 'nodeVersion', 'ports'].includes(key)) fail(`defaults.${key}`, 'is not a known key (pnpmVersion, nodeVersion, ports)');
    if (d.pnpmVersion !== undefined && (typeof d.pnpmVersion !== 'string' || !/^\d+\.\d+\.\d+$/.test(d.pnpmVersion))) fail('defaults.pnpmVersion', 'must be an exact version like 9.12.3');
    if (d.nodeVersion !== undefined && (typeof d.nodeVersion !== 'string' || !/^\d+/.test(d.nodeVersion))) fail('defaults.nodeVersion', 'must be a Node version like 22');
    if (d.ports !== undefined) {
      if (!d.ports || typeof d.ports !== 'object' || Array.isArray(d.ports)) fail('defaults.ports', 'must map service names to ports');
      for (const [svc, port] of Object.entries(d.ports as object))
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail(`defaults.ports.${svc}`, 'must be a port number 1-65535');
    }
    out.defaults = d as ResolvedConfig['defaults'];
  }
  return out;
}

/** Config files in the root, in the order they are looked for. Exactly one source may exist. */
export const CONFIG_FILES = ['shipshape.config.json', 'shipshape.config.js', 'shipshape.config.mjs', 'shipshape.config.cjs', 'shipshape.config.ts', 'shipshape.config.mts'];

let tsHooks = false;

/**
 * Node 20 cannot import TypeScript. When shipshape runs from its build
 * (dist/), loader hooks (ts-hooks.ts) strip the types of .ts files on import;
 * under a TypeScript-aware runner (the test runner loads src/*.ts) the import
 * already understands TypeScript and nothing is registered.
 */
function ensureTsHooks(): void {
  if (tsHooks) return;
  tsHooks = true;
  if (import.meta.url.endsWith('.ts')) return;
  register(new URL('./ts-hooks.js', import.meta.url));
}

/** First line of a load error, with the root's absolute path taken off so it reads file:line. */
function loadError(name: string, root: string, err: unknown): ConfigError {
  const raw = (err as Error)?.message ?? String(err);
  const msg = raw.split('\n')[0]!.split(`${root}${path.sep}`).join('');
  const hint = /\.m?ts$/.test(name) && /\b(module|require|exports) is not defined\b/.test(msg) ? '; a .ts config is loaded as an ES module: use `export default { ... }` and `import`' : '';
  return new ConfigError(msg.startsWith(`${name}:`) ? `${msg}${hint}` : `${name}: cannot load: ${msg}${hint}`);
}

async function importConfig(root: string, name: string): Promise<unknown> {
  const file = path.join(root, name);
  if (/\.m?ts$/.test(name)) ensureTsHooks();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`${pathToFileURL(file).href}?mtime=${fs.statSync(file).mtimeMs}`)) as Record<string, unknown>;
  } catch (err) {
    throw loadError(name, root, err);
  }
  if (mod.default === undefined) throw new ConfigError(`${name}: no default export; write \`export default { rules: { ... } }\`${name.endsWith('.cjs') ? ' (or module.exports = { ... })' : ''}`);
  return mod.default;
}

/**
 * Loads the config of a root: shipshape.config.{json,js,mjs,cjs,ts,mts} or
 * package.json#shipshape. Two sources at once is an error, not a silent pick.
 */
export async function loadConfig(root: string, rootManifest: Record<string, unknown> | null, knownRules: Set<string>): Promise<ResolvedConfig> {
  const present = CONFIG_FILES.filter((f) => fs.existsSync(path.join(root, f)));
  const inManifest = !!rootManifest && rootManifest.shipshape !== undefined;
  const sources = [...present, ...(inManifest ? ['package.json#shipshape'] : [])];
  if (sources.length > 1) throw new ConfigError(`${sources.join(' and ')}: more than one shipshape config; keep one`);
  const name = present[0];
  if (name === undefined) return inManifest ? validateConfig(rootManifest!.shipshape, 'package.json#shipshape', knownRules) : emptyConfig();
  if (name.endsWith('.json')) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path.join(root, name), 'utf8').replace(/^\ufeff/, ''));
    } catch (err) {
      throw new ConfigError(`${name}: invalid JSON: ${(err as Error).message}`);
    }
    return validateConfig(raw, name, knownRules);
  }
  return validateConfig(await importConfig(root, name), name, knownRules);
}
