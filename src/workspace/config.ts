// shipshape.config.json or package.json#shipshape: rule severities, ignored
// services, defaults. Validated key by key so a typo is one clear error.
import fs from 'node:fs';
import path from 'node:path';
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
      if (!d.ports || typeof d.ports !== 'object') fail('defaults.ports', 'must map service names to ports');
      for (const [svc, port] of Object.entries(d.ports as object))
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail(`defaults.ports.${svc}`, 'must be a port number 1-65535');
    }
    out.defaults = d as ResolvedConfig['defaults'];
  }
  return out;
}

/** Loads the config of a root; JSON file first, then package.json#shipshape. */
export async function loadConfig(root: string, rootManifest: Record<string, unknown> | null, knownRules: Set<string>): Promise<ResolvedConfig> {
  const json = path.join(root, 'shipshape.config.json');
  if (fs.existsSync(json)) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(json, 'utf8'));
    } catch (err) {
      throw new ConfigError(`shipshape.config.json: invalid JSON: ${(err as Error).message}`);
    }
    return validateConfig(raw, 'shipshape.config.json', knownRules);
  }
  for (const ext of ['js', 'mjs']) {
    const file = path.join(root, `shipshape.config.${ext}`);
    if (fs.existsSync(file)) {
      const mod = (await import(file)) as { default?: unknown };
      return validateConfig(mod.default, `shipshape.config.${ext}`, knownRules);
    }
  }
  if (rootManifest && rootManifest.shipshape !== undefined) return validateConfig(rootManifest.shipshape, 'package.json#shipshape', knownRules);
  return emptyConfig();
}
