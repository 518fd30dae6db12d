/**
 * Exact-text equivalence after normalisation: Unicode NFKC, trim, lower case, runs of
 * whitespace collapsed to one space, one pair of surrounding quotes (' " `) removed, trailing
 * full stops removed. "The Cat." ≡ "the   cat" ≢ "the cats".
 */
export const normaliseText = (text: string): string => {
  let s = text.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
  const quoted = /^(['"`])([\s\S]*)\1$/.exec(s);
  if (quoted !== null) s = quoted[2]!.trim();
  return s.replace(/\.+$/, '').trim();
};

export const textEquivalent = (candidate: string, reference: string): boolean => normaliseText(candidate) === normaliseText(reference);
