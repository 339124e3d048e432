// The VS Code extension packages from a script, with only installed packages (no download): the
// .vsix holds the manifest, the bundled extension (with its language client inside) and the grammar.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');

describe('scripts/build-vsix.mjs', () => {
  it('builds a .vsix with the manifest, the bundled extension and the grammar', () => {
    const out = execFileSync(process.execPath, ['scripts/build-vsix.mjs'], { cwd: repo, encoding: 'utf8' }).trim().split('\n').at(-1)!;
    const manifest = JSON.parse(readFileSync(join(repo, 'runtime/editors/vscode/package.json'), 'utf8')) as {
      version: string; main: string; contributes: { grammars: { path: string }[]; languages: { extensions: string[] }[] };
    };
    expect(out).toBe(join(repo, 'dist', `gmn-vscode-${manifest.version}.vsix`));
    const vsix = readFileSync(out);
    expect(vsix.subarray(0, 2).toString()).toBe('PK');
    // A zip names its entries uncompressed in their headers.
    const entries = ['extension.vsixmanifest', 'extension/package.json', 'extension/language-configuration.json',
      `extension/${manifest.main.replace('./', '')}`, `extension/${manifest.contributes.grammars[0]!.path.replace('./', '')}`];
    for (const entry of entries) expect(vsix.includes(entry), entry).toBe(true);
    expect(vsix.includes('extension/src/')).toBe(false);
    expect(manifest.contributes.languages[0]!.extensions).toEqual(['.gmn']);
    // The language client is bundled in: the .vsix needs no node_modules.
    const bundle = readFileSync(join(repo, 'runtime/editors/vscode', manifest.main), 'utf8');
    expect(bundle).not.toMatch(/require\("vscode-languageclient/);
    expect(bundle).toContain('require("vscode")');
  });
});
