// The root of the installed gmn package (the folder with its package.json and std/), found by
// walking up from this module: that works from the bundle (dist/gmn.mjs) and from the sources
// (compiler/resolve/*.ts under vitest) alike.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isGmnManifest(manifest)) return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`gmn package root not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The folder holding the standard library (`use std/x` → `<stdRoot>/x.gmn`). */
export function defaultStdRoot(): string {
  return join(packageRoot(), 'std');
}

function isGmnManifest(path: string): boolean {
  const pkg: unknown = JSON.parse(readFileSync(path, 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'name' in pkg && pkg.name === 'gmn';
}
