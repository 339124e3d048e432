// `gmn lsp`: the language server. Every open document is analysed by `gmn check`'s pipeline
// (compiler/ide/analysis.ts) a moment after its last change, its diagnostics published, and the
// analysis kept for hover, definition, references, completion, symbols, formatting and semantic
// tokens.
import { readdirSync } from 'node:fs';
import {
  createConnection, SemanticTokensBuilder, TextDocuments, TextDocumentSyncKind, type Connection, type Location,
  type Position, type Range,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { nodeSources } from '../../compiler/check.js';
import { formatSource } from '../../compiler/format/format.js';
import { analyzeFile, moduleOfFile, type Analysis } from '../../compiler/ide/analysis.js';
import { completionsAt } from '../../compiler/ide/completion.js';
import { hoverAt } from '../../compiler/ide/hover.js';
import { referencesAt } from '../../compiler/ide/references.js';
import { definitionSpan, nameAt } from '../../compiler/ide/scope.js';
import { SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES, semanticTokens } from '../../compiler/ide/semantic-tokens.js';
import { documentSymbols } from '../../compiler/ide/symbols.js';
import { defaultStdRoot } from '../../compiler/resolve/package-root.js';
import type { Span } from '../../compiler/syntax/ast.js';
import { completionItem, lspDiagnostic, lspSymbol, spanRange } from './convert.js';
import { documentReader, pathOfUri, uriOfPath } from './documents.js';

/** The standard library's module names (`use std/<name>`). */
function stdModules(): string[] {
  return readdirSync(defaultStdRoot()).filter((f) => f.endsWith('.gmn')).map((f) => f.slice(0, -'.gmn'.length)).sort();
}

/** How long a document must be left alone before it is re-analysed (keystrokes come faster). */
const SETTLE_MS = 150;

/** Serves LSP over the given streams until the client sends `exit`. */
export function serveLanguage(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Connection {
  const connection = createConnection(input, output);
  const documents = new TextDocuments(TextDocument);
  const readFile = documentReader(documents);
  const analyses = new Map<string, { version: number; analysis: Analysis }>();
  const pending = new Map<string, NodeJS.Timeout>();

  /** The analysis of the document's current text (run now if the cached one is older). */
  const analysisOf = (doc: TextDocument): Analysis | undefined => {
    const cached = analyses.get(doc.uri);
    if (cached !== undefined && cached.version === doc.version) return cached.analysis;
    const path = pathOfUri(doc.uri);
    if (path === undefined) return undefined;
    const analysis = analyzeFile(path, nodeSources({ readFile }));
    analyses.set(doc.uri, { version: doc.version, analysis });
    return analysis;
  };

  const publish = (doc: TextDocument): void => {
    const analysis = analysisOf(doc);
    if (analysis?.module === undefined) return;
    const own = analysis.module;
    const diagnostics = analysis.diagnostics.map((d) => {
      if (d.span.file === own.file) return lspDiagnostic(d, { start: doc.positionAt(d.span.start.offset), end: doc.positionAt(d.span.end.offset) });
      // A problem in a module this one uses: shown at the `use` that loads it, naming where it is.
      const use = own.imports.find((i) => moduleOfFile(analysis.program, d.span.file)?.path === i.path)?.decl;
      const at = `${d.span.file}:${d.span.start.line}:${d.span.start.column}`;
      return lspDiagnostic({ ...d, message: `${at}: ${d.message}` }, use === undefined ? { start: doc.positionAt(0), end: doc.positionAt(0) } : spanRange(use.span));
    });
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  };

  const schedule = (doc: TextDocument): void => {
    clearTimeout(pending.get(doc.uri));
    pending.set(doc.uri, setTimeout(() => {
      pending.delete(doc.uri);
      const current = documents.get(doc.uri);
      if (current !== undefined) publish(current);
    }, SETTLE_MS));
  };

  /** The document, its analysis and the offset of an LSP position in it. */
  const at = (uri: string, position: Position): { analysis: Analysis; offset: number } | undefined => {
    const doc = documents.get(uri);
    const analysis = doc === undefined ? undefined : analysisOf(doc);
    if (doc === undefined || analysis?.module === undefined) return undefined;
    return { analysis, offset: doc.offsetAt(position) };
  };

  const location = (analysis: Analysis, span: Span): Location | undefined => {
    const module = moduleOfFile(analysis.program, span.file);
    return module === undefined ? undefined : { uri: uriOfPath(module.path), range: spanRange(span) };
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      documentSymbolProvider: true,
      documentFormattingProvider: true,
      completionProvider: { triggerCharacters: ['(', ',', ' '] },
      semanticTokensProvider: { legend: { tokenTypes: [...SEMANTIC_TOKEN_TYPES], tokenModifiers: [...SEMANTIC_TOKEN_MODIFIERS] }, full: true },
    },
    serverInfo: { name: 'gmn' },
  }));

  documents.onDidOpen((e) => publish(e.document));
  documents.onDidChangeContent((e) => {
    schedule(e.document);
    // The open documents that `use` this one (directly or not) see its new text too.
    const path = pathOfUri(e.document.uri);
    for (const [uri, cached] of analyses) {
      const dependent = documents.get(uri);
      if (uri !== e.document.uri && dependent !== undefined && path !== undefined && cached.analysis.program.modules.has(path)) {
        analyses.delete(uri);
        schedule(dependent);
      }
    }
  });
  documents.onDidClose((e) => {
    clearTimeout(pending.get(e.document.uri));
    analyses.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onHover(({ textDocument, position }) => {
    const here = at(textDocument.uri, position);
    const hover = here === undefined ? undefined : hoverAt(here.analysis, here.offset);
    const doc = documents.get(textDocument.uri)!;
    if (hover === undefined) return null;
    const range: Range = { start: doc.positionAt(hover.span.start.offset), end: doc.positionAt(hover.span.end.offset) };
    return { contents: { kind: 'markdown', value: hover.markdown }, range };
  });

  connection.onDefinition(({ textDocument, position }) => {
    const here = at(textDocument.uri, position);
    const referent = here === undefined ? undefined : nameAt(here.analysis.module!, here.offset)?.referent;
    if (here === undefined || referent === undefined) return null;
    if (referent.kind === 'module') {
      const zero = { line: 0, character: 0 };
      return referent.path === undefined ? null : { uri: uriOfPath(referent.path), range: { start: zero, end: zero } };
    }
    const span = definitionSpan(referent);
    return span === undefined ? null : location(here.analysis, span) ?? null;
  });

  connection.onReferences(({ textDocument, position, context }) => {
    const here = at(textDocument.uri, position);
    if (here === undefined) return [];
    return referencesAt(here.analysis.program, here.analysis.module!, here.offset, context.includeDeclaration)
      .flatMap((s) => location(here.analysis, s) ?? []);
  });

  connection.onCompletion(({ textDocument, position }) => {
    const here = at(textDocument.uri, position);
    return here === undefined ? [] : completionsAt(here.analysis.module!, here.offset, stdModules()).map(completionItem);
  });

  connection.onDocumentSymbol(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    const module = doc === undefined ? undefined : analysisOf(doc)?.module;
    return module === undefined ? [] : documentSymbols(module.program).map(lspSymbol);
  });

  // `gmn fmt` on the editor's text: one edit replacing the whole document, none when it is formatted
  // or does not parse (the diagnostics already say why).
  connection.onDocumentFormatting(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    const analysis = doc === undefined ? undefined : analysisOf(doc);
    if (doc === undefined || analysis?.module === undefined || analysis.module.hasSyntaxErrors) return [];
    const text = doc.getText();
    const formatted = formatSource(text);
    if (formatted === text) return [];
    return [{ range: { start: doc.positionAt(0), end: doc.positionAt(text.length) }, newText: formatted }];
  });

  connection.languages.semanticTokens.on(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    const module = doc === undefined ? undefined : analysisOf(doc)?.module;
    const builder = new SemanticTokensBuilder();
    for (const t of module === undefined ? [] : semanticTokens(module)) {
      const modifiers = t.modifiers.reduce((bits, m) => bits | (1 << SEMANTIC_TOKEN_MODIFIERS.indexOf(m)), 0);
      builder.push(t.line, t.character, t.length, SEMANTIC_TOKEN_TYPES.indexOf(t.type), modifiers);
    }
    return builder.build();
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
