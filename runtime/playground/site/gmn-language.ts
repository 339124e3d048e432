// `.gmn` highlighting for the playground's CodeMirror editor: a stream tokenizer over the language's
// own vocabulary (compiler/ide/vocabulary.ts: the lexer's keywords, every builtin op, space, target
// and task call), so that a new builtin is highlighted without a third copy of the word list.
import { StreamLanguage, type StreamParser, type StringStream } from '@codemirror/language';
import { KEYWORDS, TASK_CALLS } from '../../../compiler/ide/vocabulary.js';
import { BUILTINS } from '../../../compiler/resolve/builtins.js';

const keywords: ReadonlySet<string> = new Set(KEYWORDS);
const builtins: ReadonlySet<string> = new Set([...BUILTINS, ...TASK_CALLS].map((b) => b.name));

/** Whether the tokenizer is inside a `/* ... *\/` comment that started on an earlier line. */
interface State {
  inBlockComment: boolean;
}

function blockCommentRest(stream: StringStream, state: State): string {
  state.inBlockComment = !stream.skipTo('*/');
  if (state.inBlockComment) stream.skipToEnd();
  else stream.pos += 2;
  return 'blockComment';
}

const parser: StreamParser<State> = {
  name: 'gmn',
  startState: () => ({ inBlockComment: false }),
  token(stream, state) {
    if (state.inBlockComment) return blockCommentRest(stream, state);
    if (stream.eatSpace()) return null;
    if (stream.match('//')) {
      stream.skipToEnd();
      return 'lineComment';
    }
    if (stream.match('/*')) return blockCommentRest(stream, state);
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return 'string';
    if (stream.match(/^\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/)) return 'number';
    if (stream.match(/^@\s*[A-Za-z_]\w*/)) return 'meta';
    const word = stream.match(/^[A-Za-z_]\w*/);
    if (typeof word === 'object' && word !== null) {
      const name = word[0];
      if (keywords.has(name)) return name === 'true' || name === 'false' ? 'bool' : 'keyword';
      return builtins.has(name) && stream.peek() === '(' ? 'variableName.function.standard' : 'variableName';
    }
    if (stream.match('->') || stream.match(/^[=+\-*/]/)) return 'operator';
    stream.next();
    return 'punctuation';
  },
  languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } } },
};

export const gmnLanguage = StreamLanguage.define(parser);
