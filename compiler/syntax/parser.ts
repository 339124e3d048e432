// The .gmn grammar as a Chevrotain CstParser with error recovery (docs/language.md has the
// grammar summary). Labels name the children that to-ast.ts reads. One parser instance serves
// every parse: Chevrotain parsers are reusable once `input` is reset.
import { CstParser, EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import {
  ALL_TOKENS, Arrow, At, Block, Colon, Comma, Equals, False, Identifier, LBrace, LBracket, Let, LParen, Minus,
  ModulePath, Net, NumberLiteral, Plus, Preset, RBrace, RBracket, Repeat, Return, RParen, Slash, Star,
  StringLiteral, Target, Task, TOKEN_LABELS, True, Use,
} from './tokens.js';

export class GmnParser extends CstParser {
  constructor(messages: IParserErrorMessageProvider) {
    super(ALL_TOKENS, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: 'onlyOffset', errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  program = this.RULE('program', () => {
    this.MANY(() => this.SUBRULE(this.declaration));
  });

  declaration = this.RULE('declaration', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.useDecl) },
      { ALT: () => this.SUBRULE(this.targetDecl) },
      { ALT: () => this.SUBRULE(this.functionDecl) },
      { ALT: () => this.SUBRULE(this.taskDecl) },
    ]);
  });

  useDecl = this.RULE('useDecl', () => {
    this.CONSUME(Use);
    this.CONSUME(ModulePath, { LABEL: 'path' });
  });

  targetDecl = this.RULE('targetDecl', () => {
    this.CONSUME(Target);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  functionDecl = this.RULE('functionDecl', () => {
    this.MANY(() => this.SUBRULE(this.annotation));
    this.OR([
      { ALT: () => this.CONSUME(Net, { LABEL: 'kind' }) },
      { ALT: () => this.CONSUME(Block, { LABEL: 'kind' }) },
    ]);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(LParen);
    this.OPTION(() => {
      this.SUBRULE(this.param);
      this.MANY2(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.param);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RParen);
    this.CONSUME(Arrow);
    this.SUBRULE(this.expression, { LABEL: 'returnType' });
    this.SUBRULE(this.body);
  });

  annotation = this.RULE('annotation', () => {
    this.CONSUME(At);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => this.SUBRULE(this.argList));
      this.CONSUME(RParen);
    });
  });

  param = this.RULE('param', () => {
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Colon);
    this.SUBRULE(this.expression, { LABEL: 'type' });
    this.OPTION(() => {
      this.CONSUME(Equals);
      this.SUBRULE2(this.expression, { LABEL: 'default' });
    });
  });

  body = this.RULE('body', () => {
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(RBrace);
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.letStatement) },
      { ALT: () => this.SUBRULE(this.repeatStatement) },
      { ALT: () => this.SUBRULE(this.returnStatement) },
    ]);
  });

  letStatement = this.RULE('letStatement', () => {
    this.CONSUME(Let);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Equals);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  repeatStatement = this.RULE('repeatStatement', () => {
    this.CONSUME(Repeat);
    this.SUBRULE(this.expression, { LABEL: 'count' });
    this.SUBRULE(this.body);
  });

  returnStatement = this.RULE('returnStatement', () => {
    this.CONSUME(Return);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  taskDecl = this.RULE('taskDecl', () => {
    this.CONSUME(Task);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(LBrace);
    this.OPTION(() => {
      this.SUBRULE(this.taskEntry);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.taskEntry);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RBrace);
  });

  taskEntry = this.RULE('taskEntry', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.preset) },
      { ALT: () => this.SUBRULE(this.field) },
    ]);
  });

  preset = this.RULE('preset', () => {
    this.CONSUME(Preset);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.SUBRULE(this.record);
  });

  /** `key: value`: a task field, a preset field or a record field. */
  field = this.RULE('field', () => {
    this.CONSUME(Identifier, { LABEL: 'key' });
    this.CONSUME(Colon);
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  expression = this.RULE('expression', () => {
    this.SUBRULE(this.additive);
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Plus, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Minus, { LABEL: 'operators' }) },
      ]);
      this.SUBRULE2(this.multiplicative, { LABEL: 'operands' });
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Star, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Slash, { LABEL: 'operators' }) },
      ]);
      this.SUBRULE2(this.unary, { LABEL: 'operands' });
    });
  });

  unary = this.RULE('unary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Minus);
          this.SUBRULE(this.unary, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => {
      this.CONSUME(LBracket);
      this.SUBRULE(this.expression, { LABEL: 'indices' });
      this.CONSUME(RBracket);
    });
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLiteral) },
      { ALT: () => this.CONSUME(StringLiteral) },
      { ALT: () => this.CONSUME(True) },
      { ALT: () => this.CONSUME(False) },
      { ALT: () => this.SUBRULE(this.callOrName) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.record) },
      { ALT: () => this.SUBRULE(this.parenthesized) },
    ]);
  });

  callOrName = this.RULE('callOrName', () => {
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => this.SUBRULE(this.argList));
      this.CONSUME(RParen);
    });
  });

  argList = this.RULE('argList', () => {
    this.SUBRULE(this.argument);
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.argument);
    });
    this.OPTION(() => this.CONSUME2(Comma));
  });

  argument = this.RULE('argument', () => {
    this.OPTION(() => {
      this.CONSUME(Identifier, { LABEL: 'name' });
      this.CONSUME(Colon);
    });
    this.SUBRULE(this.expression, { LABEL: 'value' });
  });

  list = this.RULE('list', () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: 'items' });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.expression, { LABEL: 'items' });
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RBracket);
  });

  record = this.RULE('record', () => {
    this.CONSUME(LBrace);
    this.OPTION(() => {
      this.SUBRULE(this.field);
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.field);
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RBrace);
  });

  parenthesized = this.RULE('parenthesized', () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(RParen);
  });
}

/** How a token reads in a message: `relu`, or "the end of the file". */
export function describeToken(token: IToken | undefined): string {
  if (token === undefined || token.tokenType === EOF) return 'the end of the file';
  return `\`${token.image}\``;
}

export function labelOf(type: TokenType): string {
  return TOKEN_LABELS.get(type) ?? type.name;
}
