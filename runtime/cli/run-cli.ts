// Top-level dispatch of `gmn`: global flags, `help`, the subcommand, and the last line of defence
// that keeps stack traces away from users (a user error is a usage error or diagnostics; anything
// else is a bug in gmn and is reported as one, with exit code 70).
import { showNativeChatter } from '../device/native-chatter.js';
import { EXIT, UsageError, type Command } from './command.js';
import { isUserFailure, reportFailure } from './failure.js';
import { COMMANDS, findCommand } from './commands/index.js';
import { gmnVersion } from './version.js';

export async function runCli(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`gmn${e.command ? ` ${e.command.name}` : ''}: ${e.message}\n\n${e.command ? e.command.usage : globalUsage()}\n`);
      return EXIT.usage;
    }
    if (isUserFailure(e)) return reportFailure(e, undefined);
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`gmn: internal error: ${message}\n`);
    if (process.env['GMN_DEBUG'] && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return EXIT.internal;
  }
}

async function dispatch(args: string[]): Promise<number> {
  const argv = takeVerbose(args);
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('missing command');
  if (first === '--help' || first === '-h') return print(globalUsage());
  if (first === '--version' || first === '-V') return print(gmnVersion());
  if (first === 'help') {
    if (rest.length === 0) return print(globalUsage());
    if (rest.length > 1) throw new UsageError('`gmn help` takes at most one command name');
    return print(commandNamed(rest[0]!).usage);
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option \`${first}\``);
  const command = commandNamed(first);
  if (wantsHelp(rest)) return print(command.usage);
  return command.run(rest);
}

function commandNamed(name: string): Command {
  const command = findCommand(name);
  if (command === undefined) throw new UsageError(`unknown command \`${name}\` (run \`gmn --help\` for the list)`);
  return command;
}

/** `--verbose` anywhere before a `--` separator (a global flag): removed from argv, and Dawn's own diagnostics shown. */
function takeVerbose(argv: string[]): string[] {
  const end = argv.indexOf('--') === -1 ? argv.length : argv.indexOf('--');
  const kept = argv.filter((a, i) => i >= end || a !== '--verbose');
  if (kept.length !== argv.length) showNativeChatter(true);
  return kept;
}

/** `gmn CMD --help` / `-h` anywhere before a `--` separator. */
function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return EXIT.ok;
}

function globalUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: gmn <command> [options] [args]',
    '',
    'gmn compiles and runs equivariant networks that learn on gradients (GradMetaNet).',
    '',
    'commands:',
    ...lines,
    '',
    'options:',
    '  -h, --help     show this help, or `gmn help <command>` for one command',
    '  -V, --version  print the gmn version',
    '  --verbose      also show the WebGPU implementation\'s own diagnostics (Dawn, the Vulkan driver)',
    '',
    'exit codes: 0 ok, 1 errors in the input, 2 usage error, 70 internal error',
  ].join('\n');
}
