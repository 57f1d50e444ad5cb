/** "Did you mean" for words typed on the command line. */
import { closest } from '../domain/closest.js';

/** `; did you mean "x"?` when one candidate is close, else the list of candidates. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const c = closest(input, candidates);
  return c ? `; did you mean ${JSON.stringify(c)}?` : ` (one of: ${candidates.join(', ')})`;
}
