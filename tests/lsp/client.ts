// A language client as an editor runs one: `gmn lsp` spawned from the built executable, spoken to
// over its stdin/stdout with vscode-languageserver-protocol's connection.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, ExitNotification,
  InitializedNotification, InitializeRequest, PublishDiagnosticsNotification, ShutdownRequest, StreamMessageReader,
  StreamMessageWriter, type Diagnostic, type ProtocolConnection, type PublishDiagnosticsParams, type ServerCapabilities,
} from 'vscode-languageserver-protocol/node';

export const repo = join(import.meta.dirname, '..', '..');

export function uriOf(path: string): string {
  return pathToFileURL(join(repo, path)).href;
}

export class LspClient {
  readonly connection: ProtocolConnection;
  private readonly server: ChildProcess;
  private readonly published: PublishDiagnosticsParams[] = [];
  private readonly waiters: (() => void)[] = [];
  capabilities: ServerCapabilities | undefined;

  constructor() {
    this.server = spawn(process.execPath, [join(repo, 'dist', 'gmn.mjs'), 'lsp', '--stdio'], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] });
    this.connection = createProtocolConnection(new StreamMessageReader(this.server.stdout!), new StreamMessageWriter(this.server.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.published.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
    this.connection.listen();
  }

  async initialize(): Promise<ServerCapabilities> {
    const result = await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid, rootUri: pathToFileURL(repo).href, capabilities: {}, workspaceFolders: null,
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    this.capabilities = result.capabilities;
    return result.capabilities;
  }

  /** Opens a file with its committed text (or `text`), as an editor does on opening it. */
  async open(path: string, text = readFileSync(join(repo, path), 'utf8')): Promise<string> {
    const uri = uriOf(path);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'gmn', version: 1, text } });
    return uri;
  }

  /** Replaces the whole text of an open document. */
  async change(uri: string, version: number, text: string): Promise<void> {
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  /** The diagnostics the server publishes for `uri` at `version`. */
  async diagnostics(uri: string, version: number): Promise<Diagnostic[]> {
    for (;;) {
      const found = this.published.find((p) => p.uri === uri && p.version === version);
      if (found !== undefined) return found.diagnostics;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** How many times the server has published diagnostics for `uri`. */
  publications(uri: string): number {
    return this.published.filter((p) => p.uri === uri).length;
  }

  /** The diagnostics of the first publication for `uri` after the first `seen` ones. */
  async diagnosticsAfter(uri: string, seen: number): Promise<Diagnostic[]> {
    for (;;) {
      const found = this.published.filter((p) => p.uri === uri)[seen];
      if (found !== undefined) return found.diagnostics;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Shuts the server down as an editor does, resolving to its exit code. */
  async close(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.server.once('exit', (code) => resolve(code)));
    await this.connection.sendRequest(ShutdownRequest.type);
    await this.connection.sendNotification(ExitNotification.type);
    const code = await exited;
    this.connection.dispose();
    return code;
  }
}
