// The editor's open documents as the compiler reads them: an open file's unsaved text wins over
// the file on disk, so `use ./other` sees what the user is typing in `other.gmn`.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';

export function pathOfUri(uri: string): string | undefined {
  return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
}

export function uriOfPath(path: string): string {
  return pathToFileURL(path).href;
}

/** Reads `path` from the open documents first, then from disk (undefined when neither has it). */
export function documentReader(documents: TextDocuments<TextDocument>): (path: string) => string | undefined {
  return (path) => {
    const open = documents.get(uriOfPath(path));
    if (open !== undefined) return open.getText();
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
}
