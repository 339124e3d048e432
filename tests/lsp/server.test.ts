// `gmn lsp` driven as an editor drives it: the built executable over stdio, initialize, didOpen,
// didChange, then hover, definition, references, completion, symbols and semantic tokens, on
// committed files and on broken ones (a syntax error, a spec that breaks its symmetry).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompletionRequest, DefinitionRequest, DocumentFormattingRequest, DocumentSymbolRequest, HoverRequest, ReferencesRequest, SemanticTokensRequest,
  type CompletionItem, type DocumentSymbol, type Hover, type Location, type Position,
} from 'vscode-languageserver-protocol/node';
import { LspClient, repo, uriOf } from './client.js';

/** The position of the `nth` occurrence of `needle` in `text`, moved `delta` characters into it. */
function positionOf(text: string, needle: string, delta = 0, nth = 0): Position {
  let offset = -1;
  for (let i = 0; i <= nth; i++) offset = text.indexOf(needle, offset + 1);
  if (offset < 0) throw new Error(`\`${needle}\` not found`);
  const before = text.slice(0, offset + delta).split('\n');
  return { line: before.length - 1, character: before.at(-1)!.length };
}

const read = (path: string): string => readFileSync(join(repo, path), 'utf8');
const hoverText = (h: Hover | null): string => (h !== null && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '');

let client: LspClient;

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: repo });
  client = new LspClient();
  await client.initialize();
});

afterAll(async () => {
  expect(await client.close()).toBe(0);
});

describe('gmn lsp', () => {
  it('announces what it serves', () => {
    expect(client.capabilities).toMatchObject({
      hoverProvider: true, definitionProvider: true, referencesProvider: true, documentSymbolProvider: true, documentFormattingProvider: true,
      completionProvider: {}, semanticTokensProvider: { full: true },
    });
  });

  it('publishes no diagnostics for a committed example, and hovers a net with its certificate', async () => {
    const path = 'dsl-examples/curvature.gmn';
    const uri = await client.open(path);
    expect(await client.diagnostics(uri, 1)).toEqual([]);
    const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: positionOf(read(path), '    gradmetanet(width: 32)', 6) });
    const text = hoverText(hover);
    expect(text).toContain('net gradmetanet(grads: grads(T, b)[channels]');
    expect(text).toMatch(/\*\*task curvature\*\*: S_128-invariant and S_32×S_32-equivariant: grads\(Siren, b=128\)\[2\] → weights\(Siren\)\[1\]; \d+ parameters/);
  });

  it('goes to a definition across `use`, into std/, and hovers a target and a named argument', async () => {
    const path = 'dsl-examples/curvature.gmn';
    const text = read(path);
    const net = await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: uriOf(path) }, position: positionOf(text, 'gradmetanet_pp(width: 16', 3) }) as Location;
    expect(net.uri).toBe(uriOf('std/gradmetanet_pp.gmn'));
    expect(net.range.start).toEqual(positionOf(read('std/gradmetanet_pp.gmn'), 'net gradmetanet_pp(', 4));
    const module = await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: uriOf(path) }, position: positionOf(text, 'use std/baselines', 6) }) as Location;
    expect(module.uri).toBe(uriOf('std/baselines.gmn'));
    const local = await client.connection.sendRequest(DefinitionRequest.type, {
      textDocument: { uri: uriOf(path) }, position: positionOf(text, 'target: Siren,', 9),
    }) as Location;
    expect(local).toEqual({ uri: uriOf(path), range: { start: positionOf(text, 'Siren = mlp'), end: positionOf(text, 'Siren = mlp', 5) } });
    const target = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(path) }, position: positionOf(text, 'target: Siren,', 9) }));
    expect(target).toContain('target Siren = mlp(widths: [1, 32, 32, 1]');
    expect(target).toMatch(/symmetry group of its neurons: S_32×S_32, \d+ parameters/);
    const argument = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriOf(path) }, position: positionOf(text, 'lr: 1e-3', 1) }));
    expect(argument).toContain('argument `lr` of `adam`');
  });

  it("hovers an expression with its symmetry type and shape, a builtin with its documentation", async () => {
    const path = 'std/gradmetanet.gmn';
    const uri = await client.open(path);
    expect(await client.diagnostics(uri, 1)).toEqual([]);
    const text = read(path);
    const pool = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: positionOf(text, 'pool(x, width)', 1) }));
    // On the probe target mlp(widths: [2, 3, 4, 2]) with b = 4: 11 neurons, hidden groups S_3 and S_4.
    expect(pool).toContain('block pool(x: grads(T, b)[c], width: int) -> neurons(T)[width]');
    expect(pool).toContain('gradmetanet (probe): neurons(Probe)[32], shape [11, 32]: S_4-invariant, S_3×S_4-equivariant');
    const setLayer = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: positionOf(text, 'set_layer(x, width)', 2) }));
    expect(setLayer).toContain('grads(Probe, b=4)[32], shape [4, 11, 32]: S_4-equivariant, S_3×S_4-equivariant');
    const concat = hoverText(await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: positionOf(text, 'concat(grads', 2) }));
    expect(concat).toContain('concat(...xs: tensor)');
    expect(concat).toContain('concatenation along channels');
  });

  it('reports a spec that breaks its symmetry at the op, naming the group', async () => {
    const path = 'tests/corpus/symmetry/reject/dense-over-neurons.gmn';
    const uri = await client.open(path);
    const [d, ...rest] = await client.diagnostics(uri, 1);
    expect(rest).toEqual([]);
    expect(d!.code).toBe('symmetry/breaks-group');
    expect(d!.message).toContain('dense layer over axis neurons(Probe) mixes hidden neurons of layer 1 by position: breaks S_3');
    expect(d!.message).toContain('hint: use eqlinear');
    const text = read(path);
    expect(d!.range).toEqual({ start: positionOf(text, 'dense(z'), end: positionOf(text, 'dense(z, weights(T)[1])', 'dense(z, weights(T)[1])'.length) });
  });

  it('reports a syntax error at its place', async () => {
    const uri = await client.open('tests/corpus/invalid/syntax-missing-rparen.gmn');
    const [d] = await client.diagnostics(uri, 1);
    expect(d!.message).toContain('expected `)` to close the argument list of `relu`');
    expect(d!.range.start).toEqual({ line: 2, character: 16 });
  });

  it('re-checks a document on every change: a symmetry error appears and goes away', async () => {
    const good = 'net f(x: grads(T, b)[2]) -> weights(T)[1] {\n  let z = mean(x, over: set)\n  return eqlinear(rows(z), weights(T)[1])\n}\n';
    const bad = good.replace('eqlinear(rows(z), weights(T)[1])', 'dense(rows(z), weights(T)[1])');
    const uri = await client.open('tests/lsp/unsaved.gmn', good);
    expect(await client.diagnostics(uri, 1)).toEqual([]);
    await client.change(uri, 2, bad);
    const [d] = await client.diagnostics(uri, 2);
    expect(d!.message).toMatch(/^dense layer .*: breaks S_3/);
    expect(d!.range.start).toEqual(positionOf(bad, 'dense('));
    await client.change(uri, 3, good);
    expect(await client.diagnostics(uri, 3)).toEqual([]);
  });

  it("reads a used module's unsaved text, and shows its problems on the `use`, again when it changes", async () => {
    const lib = 'block helper(x: grads(T, b)[c]) -> grads(T, b)[c] {\n  return relu(x)\n}\n';
    const main = 'use ./lib\nnet m(x: grads(T, b)[2]) -> weights(T)[1] {\n  return eqlinear(rows(mean(helper(x), over: set)), weights(T)[1])\n}\n';
    const libUri = await client.open('tests/lsp/lib.gmn', lib);
    await client.diagnostics(libUri, 1);
    const mainUri = await client.open('tests/lsp/main.gmn', main);
    expect(await client.diagnostics(mainUri, 1)).toEqual([]);
    const seen = client.publications(mainUri);
    await client.change(libUri, 2, lib.replace('relu(x)', 'relux(x)'));
    const [d, ...rest] = await client.diagnosticsAfter(mainUri, seen);
    expect(rest).toEqual([]);
    expect(d!.message).toMatch(/^tests\/lsp\/lib\.gmn:2:10: .*`relux`/);
    expect(d!.range).toEqual({ start: { line: 0, character: 0 }, end: { line: 0, character: 'use ./lib'.length } });
  });

  it('completes named arguments not yet given, locals, task fields, keywords and std modules', async () => {
    const text = 'net f(x: grads(T, b)[2]) -> neurons(T)[2] {\n  let y = relu(x)\n  return mean(y, \n}\n';
    const uri = await client.open('tests/lsp/completing.gmn', text);
    await client.diagnostics(uri, 1);
    const labels = async (u: string, position: Position): Promise<string[]> =>
      ((await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: u }, position })) as CompletionItem[]).map((c) => c.label);
    const inCall = await labels(uri, positionOf(text, 'mean(y, ', 8));
    expect(inCall).toEqual(expect.arrayContaining(['over', 'x', 'y', 'eqlinear', 'let', 'return']));
    const path = 'dsl-examples/curvature.gmn';
    const curvature = read(path);
    const inAdam = await labels(uriOf(path), positionOf(curvature, 'adam(lr: 1e-3)', 5));
    expect(inAdam).toContain('schedule');
    expect(inAdam).not.toContain('lr');
    expect(await labels(uriOf(path), positionOf(curvature, '  loss: mse', 2))).toEqual(expect.arrayContaining(['epochs', 'seeds', 'gradmetanet', 'Siren']));
    expect(await labels(uriOf(path), positionOf(curvature, 'use std/baselines', 'use std/'.length)))
      .toEqual(['std/baselines', 'std/gradmetanet', 'std/gradmetanet_pp', 'std/layers', 'std/optimizers']);
  });

  it('finds references across modules, and outlines a file', async () => {
    const path = 'std/gradmetanet.gmn';
    const refs = await client.connection.sendRequest(ReferencesRequest.type, {
      textDocument: { uri: uriOf(path) }, position: positionOf(read(path), 'set_layer(x', 1), context: { includeDeclaration: true },
    }) as Location[];
    // The declaration in std/layers.gmn and every call of it in std/gradmetanet.gmn.
    const calls = read(path).split('set_layer(').length - 1;
    expect(refs.map((r) => r.uri).sort()).toEqual([...Array<string>(calls).fill(uriOf(path)), uriOf('std/layers.gmn')]);
    expect(refs.find((r) => r.uri === uriOf('std/layers.gmn'))!.range.start).toEqual(positionOf(read('std/layers.gmn'), 'set_layer(x', 0));
    const symbols = await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: uriOf('dsl-examples/curvature.gmn') } }) as DocumentSymbol[];
    expect(symbols.map((s) => s.name)).toEqual(['Siren', 'SirenOmega1', 'curvature']);
    expect(symbols[2]!.children!.map((c) => c.name)).toEqual(expect.arrayContaining(['target', 'models', 'quick', 'default']));
  });

  it('formats a document as gmn fmt does, and leaves a formatted or broken one alone', async () => {
    const messy = 'net f( x:grads(T,b)[2] )->weights(T)[1]{\n      return eqlinear(rows(mean(x,over:set)),weights(T)[1]) // why\n}\n';
    const uri = await client.open('tests/lsp/messy.gmn', messy);
    await client.diagnostics(uri, 1);
    const format = async (u: string) => client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri: u }, options: { tabSize: 2, insertSpaces: true } });
    expect(await format(uri)).toEqual([{
      range: { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } },
      newText: 'net f(x: grads(T, b)[2]) -> weights(T)[1] {\n  return eqlinear(rows(mean(x, over: set)), weights(T)[1]) // why\n}\n',
    }]);
    expect(await format(uriOf('dsl-examples/curvature.gmn'))).toEqual([]);
    expect(await format(uriOf('tests/corpus/invalid/syntax-missing-rparen.gmn'))).toEqual([]);
  });

  it('classifies tokens by what they resolve to', async () => {
    const path = 'dsl-examples/curvature.gmn';
    const text = read(path);
    const { data } = (await client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri: uriOf(path) } }))!;
    const legend = client.capabilities!.semanticTokensProvider!.legend;
    // Decode the relative encoding: [Δline, Δchar, length, type, modifiers] per token.
    const tokens: { line: number; character: number; length: number; type: string }[] = [];
    for (let i = 0, line = 0, character = 0; i < data.length; i += 5) {
      line += data[i]!;
      character = data[i]! === 0 ? character + data[i + 1]! : data[i + 1]!;
      tokens.push({ line, character, length: data[i + 2]!, type: legend.tokenTypes[data[i + 3]!]! });
    }
    const typeAt = (p: Position): string | undefined => tokens.find((t) => t.line === p.line && t.character === p.character)?.type;
    expect(typeAt(positionOf(text, 'Siren = mlp'))).toBe('type');
    expect(typeAt(positionOf(text, 'mlp(widths'))).toBe('function');
    expect(typeAt(positionOf(text, 'task curvature'))).toBe('keyword');
    expect(typeAt(positionOf(text, 'epochs: 100'))).toBe('property');
    expect(typeAt(positionOf(text, '// Curvature estimation'))).toBe('comment');
    expect(typeAt(positionOf(text, '3000'))).toBe('number');
    expect(typeAt(positionOf(text, 'lr: 1e-3'))).toBe('parameter');
    expect(typeAt(positionOf(text, 'test: 500'))).toBe('property');
    expect(typeAt(positionOf(text, 'loss: mse', 6))).toBe('enumMember');
  });
});
