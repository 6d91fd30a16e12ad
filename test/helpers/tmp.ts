// Temp workspaces written from a map of files; removed by the caller's afterEach.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tmpWorkspace(files: Record<string, string | Buffer>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-'));
  writeFiles(root, files);
  return root;
}

export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
}

export function copyDir(src: string, dest?: string): string {
  const target = dest ?? fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-copy-'));
  fs.cpSync(src, target, { recursive: true, filter: (s) => !/[/\\](node_modules|dist)([/\\]|$)/.test(s) });
  return target;
}

export function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else out[path.relative(root, abs)] = fs.readFileSync(abs).toString('base64');
    }
  };
  walk(root);
  return out;
}
