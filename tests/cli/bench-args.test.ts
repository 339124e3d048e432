// gmn bench's scaling options are checked before any adapter is opened.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../runtime/cli/command.js';
import { benchCommand } from '../../runtime/cli/commands/bench.js';

describe('gmn bench --set-size/--width/--target/--batch', () => {
  it.each([
    [['--set-size', '0'], /--set-size must be a positive integer, got 0/],
    [['--width', '6.5'], /--width must be a positive integer, got 6\.5/],
    [['--batch', 'x'], /--batch must be a positive integer, got x/],
    [['--target', '1,0,1'], /--target must be a positive integer, got 0/],
    [['--target', '16'], /--target needs at least two layer widths, got 16/],
  ])('%j is a usage error', async (argv, message) => {
    const error: unknown = await benchCommand.run(['--only', 'curvature', ...argv]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
  });
});
