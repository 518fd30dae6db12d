/**
 * Strict io-ts codecs for configuration. Objects are closed: an unknown key is an error (io-ts's
 * own `exact` would drop it silently). Every leaf codec's name says what it expects in words, so
 * a failure reads `clip.epsHigh: expected a number in [0, 10], found -1`. A set of names is
 * `literalUnion` of @rlflow/core, built from the library's list.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';

export const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return false;
  const proto: unknown = Object.getPrototypeOf(u);
  return proto === Object.prototype || proto === null;
};

/** A codec that accepts exactly the values `is` accepts and returns them unchanged. */
export const leaf = <A>(name: string, is: (u: unknown) => u is A): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(name, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity);

const interval = (lo: number, hi: number, loOpen: boolean, hiOpen: boolean): string =>
  `${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;

export const numberIn = (lo: number, hi: number, open: { readonly lo?: boolean; readonly hi?: boolean } = {}): t.Type<number, number, unknown> => {
  const loOpen = open.lo ?? false;
  const hiOpen = open.hi ?? false;
  return leaf(
    `a number in ${interval(lo, hi, loOpen, hiOpen)}`,
    (u): u is number =>
      typeof u === 'number' && Number.isFinite(u) && (loOpen ? u > lo : u >= lo) && (hiOpen ? u < hi : u <= hi),
  );
};

export const finiteNumber: t.Type<number, number, unknown> = leaf('a finite number', (u): u is number => typeof u === 'number' && Number.isFinite(u));

export const integerIn = (lo: number, hi: number): t.Type<number, number, unknown> =>
  leaf(`an integer in [${lo}, ${hi}]`, (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= lo && u <= hi);

export const integerAtLeast = (lo: number): t.Type<number, number, unknown> =>
  leaf(`an integer ≥ ${lo}`, (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= lo);

export const booleanFlag: t.Type<boolean, boolean, unknown> = leaf('true or false', (u): u is boolean => typeof u === 'boolean');

export const nonEmptyString: t.Type<string, string, unknown> = leaf('a non-empty string', (u): u is string => typeof u === 'string' && u.length > 0);

export const nullValue: t.Type<null, null, unknown> = leaf('null', (u): u is null => u === null);

/** Either of two leaf codecs (their `is` decides), named `<a> or <b>`. */
export const anyOf = <A, B>(a: t.Type<A, A, unknown>, b: t.Type<B, B, unknown>): t.Type<A | B, A | B, unknown> =>
  leaf(`${a.name} or ${b.name}`, (u): u is A | B => a.is(u) || b.is(u));

export const nullable = <A>(codec: t.Type<A, A, unknown>): t.Type<A | null, A | null, unknown> => anyOf(codec, nullValue);

/** A non-empty list of distinct items; each item is checked at its index. */
export const distinctList = <A>(item: t.Type<A, A, unknown>, name: string): t.Type<readonly A[], readonly A[], unknown> => {
  const is = (u: unknown): u is readonly A[] => Array.isArray(u) && u.length > 0 && new Set(u).size === u.length && u.every((x) => item.is(x));
  return new t.Type<readonly A[], readonly A[], unknown>(
    name,
    is,
    (u, c) => {
      if (!Array.isArray(u)) return t.failure(u, c);
      const errors: t.ValidationError[] = [];
      u.forEach((x: unknown, i) => {
        const result = item.validate(x, t.appendContext(c, String(i), item, x));
        if (E.isLeft(result)) errors.push(...result.left);
      });
      if (errors.length > 0) return t.failures(errors);
      if (u.length === 0) return t.failure(u, c);
      const firstRepeat = u.findIndex((x, i) => u.indexOf(x) !== i);
      if (firstRepeat >= 0) return t.failure(u[firstRepeat], t.appendContext(c, String(firstRepeat), item, u[firstRepeat]), `expected a value not already in the list, found ${JSON.stringify(u[firstRepeat])}`);
      return t.success(u as readonly A[]);
    },
    t.identity,
  );
};

/** A list of exactly two items. */
export const pairOf = <A>(item: t.Type<A, A, unknown>, name: string): t.Type<readonly [A, A], readonly [A, A], unknown> => {
  const is = (u: unknown): u is readonly [A, A] => Array.isArray(u) && u.length === 2 && u.every((x) => item.is(x));
  return new t.Type<readonly [A, A], readonly [A, A], unknown>(
    name,
    is,
    (u, c) => {
      if (!Array.isArray(u) || u.length !== 2) return t.failure(u, c);
      const errors: t.ValidationError[] = [];
      u.forEach((x: unknown, i) => {
        const result = item.validate(x, t.appendContext(c, String(i), item, x));
        if (E.isLeft(result)) errors.push(...result.left);
      });
      return errors.length > 0 ? t.failures(errors) : t.success(u as unknown as readonly [A, A]);
    },
    t.identity,
  );
};

export type ClosedProps = Record<string, t.Mixed>;
export type ClosedOf<P extends ClosedProps> = { readonly [K in keyof P]: t.TypeOf<P[K]> };

/** An object with exactly the keys of `props`: unknown keys fail with `path.key: unknown key`. */
export const closed = <P extends ClosedProps>(props: P): t.Type<ClosedOf<P>, ClosedOf<P>, unknown> => {
  const keys = Object.keys(props);
  const is = (u: unknown): u is ClosedOf<P> =>
    isPlainObject(u) && Object.keys(u).every((key) => Object.hasOwn(props, key)) && keys.every((key) => props[key]!.is(u[key]));
  return new t.Type<ClosedOf<P>, ClosedOf<P>, unknown>(
    'an object',
    is,
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c);
      const errors: t.ValidationError[] = [];
      for (const key of Object.keys(u)) {
        if (!Object.hasOwn(props, key)) errors.push({ value: u[key], context: t.appendContext(c, key, t.unknown, u[key]), message: 'unknown key' });
      }
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const codec = props[key]!;
        const value = Object.hasOwn(u, key) ? u[key] : undefined;
        const result = codec.validate(value, t.appendContext(c, key, codec, value));
        if (E.isLeft(result)) errors.push(...result.left);
        else out[key] = result.right;
      }
      return errors.length > 0 ? t.failures(errors) : t.success(out as ClosedOf<P>);
    },
    t.identity,
  );
};
