// "Did you mean ...?" for misspelled property names, command names and option names.
//
// Optimal string alignment distance (Levenshtein plus adjacent transpositions): `boostrap.servers` and
// `bootstrap.sevrers` are both one edit from the right name. A candidate is offered only when it is close
// relative to the length of the name typed, so an unrelated name gets no suggestion rather than a silly one.

/** Edit distance with insertions, deletions, substitutions and adjacent transpositions, each costing 1. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: the transposition step looks two rows back.
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length];
}

/**
 * The candidate closest to `input`, or undefined when none is close enough. `preferred` breaks ties (e.g. names
 * that apply to the client being configured win over names of another client).
 */
export function closestMatch(
  input: string,
  candidates: Iterable<string>,
  preferred: (candidate: string) => boolean = () => false,
): string | undefined {
  const lowered = input.toLowerCase();
  // About one edit per four characters typed, at least one and at most four.
  const limit = Math.min(4, Math.max(1, Math.floor(input.length / 4)));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(lowered, candidate.toLowerCase());
    if (distance > limit) continue;
    // Distance first; among equally close names, the preferred one, then the alphabetically first.
    const score = distance * 2 + (preferred(candidate) ? 0 : 1);
    if (score < bestScore || (score === bestScore && best !== undefined && candidate < best)) {
      best = candidate;
      bestScore = score;
    }
  }
  return best === input ? undefined : best;
}
