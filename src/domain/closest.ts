/** Typo matching for "did you mean": plain string code with no dependencies (the CLI's --help path loads it). */

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `input` (case-insensitive) when it is close enough to be a typo of it. */
export function closest(input: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let score = Infinity;
  for (const c of candidates) {
    const d = levenshtein(input.toLowerCase(), c.toLowerCase());
    if (d < score) [best, score] = [c, d];
  }
  return best !== null && score <= Math.max(2, Math.floor(input.length / 3)) ? best : null;
}
