// The tokens of .gmn. Comments and whitespace are skipped; the `Unterminated*` tokens catch
// malformed input (an unclosed string or comment) so the lexer can name the problem instead of
// reporting a run of unexpected characters. An unclosed comment goes to the `errors` group; an unclosed string still reaches the parser as a string.
import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[^]*?\*\//, line_breaks: true, group: Lexer.SKIPPED });
/** `/*` with no closing `*\/`: runs to the end of the file. */
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[^]*/, line_breaks: true, group: 'errors' });

export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n]|\\[^\n])*"/ });
/** A string with no closing quote on its line: reported by `lex`, parsed as a string (no cascade). */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n]|\\[^\n])*\\?/, categories: [StringLiteral] });

/**
 * Anything that starts like a number, including malformed ones (`1e`, `2.`, `3x`): the parser
 * sees a number either way, and `lex` reports the malformed ones with a precise message.
 */
export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: /\d+(?:\.\d*)?(?:[eE][+-]?\d*)?[A-Za-z0-9_]*/ });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

function keyword(word: string, contextual = false): TokenType {
  // Contextual keywords are also identifiers (`target: Siren` in a task, `x: target` as a type).
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(`${word}\\b`),
    longer_alt: Identifier,
    ...(contextual ? { categories: [Identifier] } : {}),
  });
}

export const Use = keyword('use');
export const Target = keyword('target', true);
export const Net = keyword('net');
export const Block = keyword('block');
export const Task = keyword('task');
export const Preset = keyword('preset', true);
export const Let = keyword('let');
export const Repeat = keyword('repeat');
export const Return = keyword('return');
export const True = keyword('true');
export const False = keyword('false');

export const Arrow = createToken({ name: 'Arrow', pattern: /->/ });
export const At = createToken({ name: 'At', pattern: /@/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/ });
export const LBrace = createToken({ name: 'LBrace', pattern: /{/ });
export const RBrace = createToken({ name: 'RBrace', pattern: /}/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const Plus = createToken({ name: 'Plus', pattern: /\+/ });
export const Minus = createToken({ name: 'Minus', pattern: /-/ });
export const Star = createToken({ name: 'Star', pattern: /\*/ });
export const Slash = createToken({ name: 'Slash', pattern: /\// });
/**
 * The path of a `use` (`std/gradmetanet`, `./local/file`, `../x`). Only lexed right after `use`,
 * so that `a/b` elsewhere stays a division.
 */
const modulePathRegex = /(?:\.{1,2}\/)*[A-Za-z_][A-Za-z0-9_.-]*(?:\/[A-Za-z_][A-Za-z0-9_.-]*)*/y;
export const ModulePath = createToken({
  name: 'ModulePath',
  pattern: {
    exec: (text: string, offset: number, tokens: IToken[]) => {
      if (tokens[tokens.length - 1]?.tokenType !== Use) return null;
      modulePathRegex.lastIndex = offset;
      return modulePathRegex.exec(text);
    },
  },
  line_breaks: false,
  start_chars_hint: ['.', ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_'],
});

/** Order matters: the first pattern that matches wins, so comments precede `/`, `->` precedes `-`. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, LineComment, BlockComment, UnterminatedComment,
  StringLiteral, UnterminatedString, NumberLiteral, ModulePath,
  Use, Target, Net, Block, Task, Preset, Let, Repeat, Return, True, False, Identifier,
  Arrow, At, LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Colon, Equals,
  Plus, Minus, Star, Slash,
];

/** How each token is named in messages: `)` rather than `RParen`. */
export const TOKEN_LABELS: ReadonlyMap<TokenType, string> = new Map([
  [StringLiteral, 'a string'], [NumberLiteral, 'a number'], [Identifier, 'a name'], [ModulePath, 'a module path'],
  [Use, '`use`'], [Target, '`target`'], [Net, '`net`'], [Block, '`block`'], [Task, '`task`'], [Preset, '`preset`'],
  [Let, '`let`'], [Repeat, '`repeat`'], [Return, '`return`'], [True, '`true`'], [False, '`false`'],
  [Arrow, '`->`'], [At, '`@`'], [LParen, '`(`'], [RParen, '`)`'], [LBracket, '`[`'], [RBracket, '`]`'],
  [LBrace, '`{`'], [RBrace, '`}`'], [Comma, '`,`'], [Colon, '`:`'], [Equals, '`=`'], [Plus, '`+`'],
  [Minus, '`-`'], [Star, '`*`'], [Slash, '`/`'],
]);
