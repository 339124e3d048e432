// An error the user can fix that has no place in a source file: a damaged run directory, an
// unreachable queue, a missing dataset, no WebGPU adapter. It names what is wrong and carries one
// line that says the way out; every `gmn` command prints the two the same way and exits 1
// (runtime/cli/failure.ts). Errors that do point into a .gmn file are Diagnostics instead.
export class HintedError extends Error {
  constructor(message: string, /** One line that tells the user the way out. */ readonly hint: string) {
    super(message);
    this.name = new.target.name;
  }
}
