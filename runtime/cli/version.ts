// The gmn version: baked in by the bundler, else read from package.json (sources under vitest).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/resolve/package-root.js';

export function gmnVersion(): string {
  if (typeof GMN_VERSION === 'string') return GMN_VERSION;
  const pkg: unknown = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'));
  const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
  return typeof version === 'string' ? version : 'unknown';
}
