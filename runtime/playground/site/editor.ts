// The playground's CodeMirror 6 editor: `.gmn` highlighting (gmn-language.ts), the compiler's
// diagnostics as squiggles and gutter marks, and a callback on every change of the text.
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import type { PlaygroundDiagnostic } from '../engine.js';
import { gmnLanguage } from './gmn-language.js';

export function createEditor(parent: HTMLElement, onChange: (text: string) => void): EditorView {
  return new EditorView({
    parent,
    state: EditorState.create({
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        gmnLanguage,
        syntaxHighlighting(defaultHighlightStyle),
        lintGutter(),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange(u.state.doc.toString());
        }),
      ],
    }),
  });
}

export function replaceText(view: EditorView, text: string): void {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

/** Shows the diagnostics located in the edited file (not those inside a `use`d module) as squiggles. */
export function showDiagnostics(view: EditorView, diagnostics: readonly PlaygroundDiagnostic[], fileName: string): void {
  const length = view.state.doc.length;
  const marks: Diagnostic[] = diagnostics
    .filter((d) => d.file === fileName)
    .map((d) => {
      const from = Math.min(d.from, length);
      return {
        from,
        to: Math.min(Math.max(d.to, from), length),
        severity: d.severity === 'note' ? 'info' : d.severity,
        source: d.code,
        message: d.hint === undefined ? d.message : `${d.message}\nhint: ${d.hint}`,
      };
    });
  view.dispatch(setDiagnostics(view.state, marks));
}

export function moveCursor(view: EditorView, offset: number): void {
  view.dispatch({ selection: { anchor: Math.min(offset, view.state.doc.length) }, scrollIntoView: true });
  view.focus();
}
