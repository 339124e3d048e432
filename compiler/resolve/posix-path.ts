// POSIX path arithmetic without Node's `path` module, for code that also runs in a browser (the
// playground's in-memory files; a task's `gradient_files` folder). Paths are `/`-separated.

/** An absolute path with no `.`, `..`, repeated or trailing slashes. */
export function normalisePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** Like Node's path.posix.resolve: segments joined right to left until one is absolute, from `cwd`. */
export function resolvePath(cwd: string, ...segments: string[]): string {
  return normalisePath(segments.reduce((at, s) => (s.startsWith('/') ? s : `${at}/${s}`), cwd));
}

export function parentPath(path: string): string {
  const p = normalisePath(path);
  const cut = p.lastIndexOf('/');
  return cut <= 0 ? '/' : p.slice(0, cut);
}

/** The path from folder `from` to `to` (both absolute). */
export function relativePath(from: string, to: string): string {
  const a = normalisePath(from).split('/').filter((p) => p !== '');
  const b = normalisePath(to).split('/').filter((p) => p !== '');
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
}

/** The last segment of a path (`std/layers.gmn` → `layers.gmn`). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
