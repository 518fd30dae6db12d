/**
 * Levenshtein (edit) distance over Unicode code points, as python-Levenshtein's `distance(a, b)` on
 * `str`: the fewest single-character insertions, deletions and substitutions turning a into b
 * (Wagner–Fischer dynamic programme, two rows). `mostSimilarChoice` is MathVista's
 * `calculate_score.py::get_most_similar`: the first choice at the minimum distance.
 */

export const levenshtein = (a: string, b: string): number => {
  const s = Array.from(a);
  const t = Array.from(b);
  if (s.length === 0) return t.length;
  if (t.length === 0) return s.length;
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  let current = new Array<number>(t.length + 1).fill(0);
  for (let i = 1; i <= s.length; i++) {
    current[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const substitution = previous[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[t.length]!;
};

/** Index of the first choice with the smallest distance to `text`; −1 for no choices. */
export const mostSimilarIndex = (text: string, choices: readonly string[]): number => {
  let best = -1;
  let bestDistance = Number.POSITIVE_INFINITY;
  choices.forEach((choice, i) => {
    const d = levenshtein(text, choice);
    if (d < bestDistance) {
      best = i;
      bestDistance = d;
    }
  });
  return best;
};
