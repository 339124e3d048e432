// `gmn playground`'s server: the MIME types a browser needs for module scripts and workers, no file
// outside the served folder, a taken port as a one-line error with a hint (exit 1, no stack trace),
// and the command end to end: it builds the site, prints the URL, serves it, and stops on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFolder } from '../../runtime/playground/static-server.js';

const ROOT = resolve(import.meta.dirname, '../..');
const GMN = join(ROOT, 'dist/gmn.mjs');

describe('the static server', () => {
  let folder: string;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'gmn-serve-'));
    mkdirSync(join(folder, 'site'));
    for (const [name, text] of [['index.html', '<!doctype html>'], ['main.js', 'export {};'], ['style.css', 'body {}']]) writeFileSync(join(folder, 'site', name!), text!);
    writeFileSync(join(folder, 'secret.txt'), 'outside the site');
    ({ server, url } = await serveFolder(join(folder, 'site'), 0, '127.0.0.1'));
  });

  afterAll(() => {
    server.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves the index at / and each file with its MIME type', async () => {
    for (const [path, type, body] of [['', 'text/html', '<!doctype html>'], ['main.js', 'text/javascript', 'export {};'], ['style.css', 'text/css', 'body {}']]) {
      const res = await fetch(url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect(await res.text()).toBe(body);
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('answers 404 for a missing file and never serves a file outside the folder', async () => {
    expect((await fetch(`${url}missing.js`)).status).toBe(404);
    const escaped = await fetch(`${url}%2e%2e%2fsecret.txt`);
    expect(escaped.status).toBe(403);
    expect(await escaped.text()).not.toContain('outside the site');
  });
});

describe('gmn playground', () => {
  beforeAll(() => {
    expect(spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT }).status).toBe(0);
  }, 60_000);

  it('builds the site, prints its URL, serves it and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [GMN, 'playground', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const url = await new Promise<string>((done, fail) => {
      child.stdout.on('data', () => {
        const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(stdout);
        if (found !== null) done(found[0]);
      });
      child.on('exit', (code) => fail(new Error(`gmn playground exited ${code}: ${stdout}`)));
    });
    const page = await fetch(url);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<script type="module" src="main.js">');
    expect((await fetch(`${url}worker.js`)).headers.get('content-type')).toContain('text/javascript');

    const exit = new Promise<number | null>((done) => child.on('exit', done));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stdout).toContain('gmn playground: stopped');
  }, 90_000);

  // After the test above, the site is built: --no-build serves it, and the port is what fails.
  it('says which port is taken, with a hint, and exits 1 without a stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as AddressInfo;
    const result = spawnSync(process.execPath, [GMN, 'playground', '--port', String(port), '--no-build'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    taken.close();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(result.stderr).toContain('hint:');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
