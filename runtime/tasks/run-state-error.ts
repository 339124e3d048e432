// A run directory that cannot be used as it is: held by another run, made for another
// configuration, or with a damaged file that gmn cannot recover on its own. Like a DataError it has
// no source span: `gmn run` prints the message (which names the file) and the hint, and exits 1.
import { HintedError } from '../util/hinted-error.js';

export class RunStateError extends HintedError {}
