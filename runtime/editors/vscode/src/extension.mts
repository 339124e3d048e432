// The VS Code extension: starts `gmn lsp` for .gmn files. The grammar and the language settings
// are declared in package.json; everything else comes from the server.
import { workspace, type ExtensionContext } from 'vscode';
import { LanguageClient, TransportKind, type ServerOptions } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  const path = workspace.getConfiguration('gmn').get<string>('server.path', 'gmn');
  // A checkout's dist/gmn.mjs is a script for node; anything else is an executable.
  const script = /\.m?js$/.test(path);
  const server: ServerOptions = {
    command: script ? 'node' : path,
    args: script ? [path, 'lsp'] : ['lsp'],
    transport: TransportKind.stdio,
  };
  client = new LanguageClient('gmn', 'gmn language server', server, { documentSelector: [{ scheme: 'file', language: 'gmn' }] });
  context.subscriptions.push(client);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
