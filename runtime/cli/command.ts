// The contract every `gmn` subcommand implements, and the usage-error type they throw.
// A command parses its own argv (with `parseCommandArgs`), does its work, and returns an exit code.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  /** The subcommand word, e.g. `check`. */
  name: string;
  /** One line for `gmn --help`. */
  summary: string;
  /** Full usage text for `gmn help NAME` and usage errors (starts with `usage: gmn NAME ...`). */
  usage: string;
  /** Runs with the arguments after the subcommand word; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** The input has errors (diagnostics were printed). */
  diagnostics: 1,
  /** The command line itself is wrong. */
  usage: 2,
  /** A bug in gmn (sysexits EX_SOFTWARE). */
  internal: 70,
} as const;

/** A wrong command line: printed with the command's usage, exit code 2, never a stack trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `parseArgs` with strict checking, whose complaints become `UsageError`s for `command`. */
export function parseCommandArgs<O extends Options>(command: Command, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(e.message, command);
    }
    throw e;
  }
}
