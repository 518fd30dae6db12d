/**
 * A minimal Parquet writer, for test fixtures only (no pyarrow or hyparquet-writer here).
 * It writes one row group, one uncompressed v1 data page per leaf column, PLAIN values and
 * RLE definition / repetition levels (Dremel encoding), with the metadata in Thrift compact
 * protocol (apache/parquet-format `parquet.thrift`). Column shapes, as the Hugging Face
 * `datasets` library writes them:
 * - `string` (BYTE_ARRAY, converted type UTF8), `binary` (BYTE_ARRAY), `int64`;
 * - `struct` of such leaves (the `Image` feature is `struct<bytes: binary, path: string>`);
 * - `list` of strings, three-level: `optional group c (LIST) { repeated group list { optional binary element (UTF8) } }`.
 */

type Leaf = 'string' | 'binary' | 'int64';

export type ParquetColumn =
  | { readonly kind: Leaf; readonly name: string; readonly optional: boolean }
  | { readonly kind: 'struct'; readonly name: string; readonly optional: boolean; readonly fields: ReadonlyArray<{ readonly kind: Leaf; readonly name: string }> }
  | { readonly kind: 'list'; readonly name: string; readonly optional: boolean };

export type ParquetValue = string | Uint8Array | bigint | number | null | readonly (string | null)[] | Readonly<Record<string, string | Uint8Array | bigint | null>>;

// Thrift compact protocol.
type TValue =
  | { readonly t: 'i32'; readonly v: number }
  | { readonly t: 'i64'; readonly v: bigint }
  | { readonly t: 'bin'; readonly v: string | Uint8Array }
  | { readonly t: 'struct'; readonly v: ReadonlyArray<readonly [number, TValue]> }
  | { readonly t: 'list'; readonly elem: 'i32' | 'bin' | 'struct'; readonly v: readonly TValue[] };

const TYPE_CODE = { i32: 5, i64: 6, bin: 8, list: 9, struct: 12 } as const;

class Bytes {
  private readonly parts: number[] = [];
  byte(b: number): void {
    this.parts.push(b & 0xff);
  }
  bytes(bs: Uint8Array): void {
    for (const b of bs) this.parts.push(b);
  }
  uvarint(n: bigint): void {
    let x = n;
    do {
      const low = Number(x & 0x7fn);
      x >>= 7n;
      this.byte(x === 0n ? low : low | 0x80);
    } while (x !== 0n);
  }
  zigzag(n: bigint): void {
    this.uvarint(n >= 0n ? n << 1n : ((-n) << 1n) - 1n);
  }
  u32le(n: number): void {
    for (let i = 0; i < 4; i++) this.byte(n >>> (8 * i));
  }
  i64le(n: bigint): void {
    const u = BigInt.asUintN(64, n);
    for (let i = 0n; i < 8n; i++) this.byte(Number((u >> (8n * i)) & 0xffn));
  }
  get length(): number {
    return this.parts.length;
  }
  toUint8Array(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const utf8 = (s: string | Uint8Array): Uint8Array => (typeof s === 'string' ? new TextEncoder().encode(s) : s);

const writeThrift = (out: Bytes, value: TValue): void => {
  switch (value.t) {
    case 'i32':
      out.zigzag(BigInt(value.v));
      return;
    case 'i64':
      out.zigzag(value.v);
      return;
    case 'bin': {
      const b = utf8(value.v);
      out.uvarint(BigInt(b.length));
      out.bytes(b);
      return;
    }
    case 'list':
      if (value.v.length < 15) out.byte((value.v.length << 4) | TYPE_CODE[value.elem]);
      else {
        out.byte(0xf0 | TYPE_CODE[value.elem]);
        out.uvarint(BigInt(value.v.length));
      }
      value.v.forEach((item) => writeThrift(out, item));
      return;
    case 'struct': {
      let last = 0;
      for (const [id, field] of value.v) {
        out.byte(((id - last) << 4) | TYPE_CODE[field.t]);
        writeThrift(out, field);
        last = id;
      }
      out.byte(0);
    }
  }
}

const i32 = (v: number): TValue => ({ t: 'i32', v });
const i64 = (v: number | bigint): TValue => ({ t: 'i64', v: BigInt(v) });
const bin = (v: string | Uint8Array): TValue => ({ t: 'bin', v });
const struct = (...v: ReadonlyArray<readonly [number, TValue] | undefined>): TValue => ({
  t: 'struct',
  v: v.filter((f): f is readonly [number, TValue] => f !== undefined),
});

const PHYSICAL = { string: 6, binary: 6, int64: 2 } as const; // BYTE_ARRAY, INT64
const REQUIRED = 0;
const OPTIONAL = 1;
const REPEATED = 2;
const UTF8 = 0;
const LIST = 3;

const schemaElements = (columns: readonly ParquetColumn[]): TValue[] => {
  const leaf = (kind: Leaf, name: string, repetition: number): TValue =>
    struct([1, i32(PHYSICAL[kind])], [3, i32(repetition)], [4, bin(name)], kind === 'string' ? [6, i32(UTF8)] : undefined);
  const elements: TValue[] = [struct([4, bin('schema')], [5, i32(columns.length)])];
  for (const c of columns) {
    const repetition = c.optional ? OPTIONAL : REQUIRED;
    if (c.kind === 'struct') {
      elements.push(struct([3, i32(repetition)], [4, bin(c.name)], [5, i32(c.fields.length)]));
      c.fields.forEach((f) => elements.push(leaf(f.kind, f.name, OPTIONAL)));
    } else if (c.kind === 'list') {
      elements.push(struct([3, i32(repetition)], [4, bin(c.name)], [5, i32(1)], [6, i32(LIST)]));
      elements.push(struct([3, i32(REPEATED)], [4, bin('list')], [5, i32(1)]));
      elements.push(leaf('string', 'element', OPTIONAL));
    } else elements.push(leaf(c.kind, c.name, repetition));
  }
  return elements;
};

interface LeafData {
  readonly path: readonly string[];
  readonly kind: Leaf;
  readonly maxDef: number;
  readonly maxRep: number;
  readonly defs: number[];
  readonly reps: number[];
  readonly values: Array<string | Uint8Array | bigint>;
}

const leafValue = (kind: Leaf, v: unknown, where: string): string | Uint8Array | bigint => {
  if (kind === 'int64' && (typeof v === 'bigint' || typeof v === 'number')) return BigInt(v);
  if (kind === 'string' && typeof v === 'string') return v;
  if (kind === 'binary' && (v instanceof Uint8Array || typeof v === 'string')) return v;
  throw new TypeError(`parquet-writer: ${where}: ${String(v)} is not a ${kind}`);
};

const shred = (columns: readonly ParquetColumn[], rows: ReadonlyArray<Readonly<Record<string, ParquetValue>>>): LeafData[] => {
  const leaves: LeafData[] = [];
  for (const c of columns) {
    const top = c.optional ? 1 : 0;
    if (c.kind === 'struct') {
      for (const f of c.fields) {
        const leaf: LeafData = { path: [c.name, f.name], kind: f.kind, maxDef: top + 1, maxRep: 0, defs: [], reps: [], values: [] };
        rows.forEach((row, r) => {
          const s = row[c.name] as Readonly<Record<string, unknown>> | null | undefined;
          leaf.reps.push(0);
          if (s === null || s === undefined) {
            if (!c.optional) throw new TypeError(`parquet-writer: row ${r}: ${c.name} is required`);
            leaf.defs.push(0);
          } else if (s[f.name] === null || s[f.name] === undefined) leaf.defs.push(top);
          else {
            leaf.defs.push(top + 1);
            leaf.values.push(leafValue(f.kind, s[f.name], `row ${r} ${c.name}.${f.name}`));
          }
        });
        leaves.push(leaf);
      }
    } else if (c.kind === 'list') {
      const leaf: LeafData = { path: [c.name, 'list', 'element'], kind: 'string', maxDef: top + 2, maxRep: 1, defs: [], reps: [], values: [] };
      rows.forEach((row, r) => {
        const list = row[c.name] as readonly (string | null)[] | null | undefined;
        if (list === null || list === undefined) {
          if (!c.optional) throw new TypeError(`parquet-writer: row ${r}: ${c.name} is required`);
          leaf.reps.push(0);
          leaf.defs.push(0);
        } else if (list.length === 0) {
          leaf.reps.push(0);
          leaf.defs.push(top);
        } else {
          list.forEach((item, i) => {
            leaf.reps.push(i === 0 ? 0 : 1);
            if (item === null) leaf.defs.push(top + 1);
            else {
              leaf.defs.push(top + 2);
              leaf.values.push(leafValue('string', item, `row ${r} ${c.name}[${i}]`));
            }
          });
        }
      });
      leaves.push(leaf);
    } else {
      const leaf: LeafData = { path: [c.name], kind: c.kind, maxDef: top, maxRep: 0, defs: [], reps: [], values: [] };
      rows.forEach((row, r) => {
        const v = row[c.name];
        leaf.reps.push(0);
        if (v === null || v === undefined) {
          if (!c.optional) throw new TypeError(`parquet-writer: row ${r}: ${c.name} is required`);
          leaf.defs.push(0);
        } else {
          leaf.defs.push(top);
          leaf.values.push(leafValue(c.kind, v, `row ${r} ${c.name}`));
        }
      });
      leaves.push(leaf);
    }
  }
  return leaves;
};

/** RLE runs of the hybrid encoding, with its 4-byte length prefix (data page v1). */
const levels = (values: readonly number[], maxLevel: number): Uint8Array => {
  const width = Math.ceil(Math.log2(maxLevel + 1));
  const body = new Bytes();
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j < values.length && values[j] === values[i]) j++;
    body.uvarint(BigInt(j - i) << 1n);
    for (let k = 0; k < Math.ceil(width / 8); k++) body.byte(values[i]! >>> (8 * k));
    i = j;
  }
  const out = new Bytes();
  out.u32le(body.length);
  out.bytes(body.toUint8Array());
  return out.toUint8Array();
};

export const writeParquet = (columns: readonly ParquetColumn[], rows: ReadonlyArray<Readonly<Record<string, ParquetValue>>>): Uint8Array => {
  const file = new Bytes();
  const magic = new TextEncoder().encode('PAR1');
  file.bytes(magic);
  const chunks: TValue[] = [];
  for (const leaf of shred(columns, rows)) {
    const page = new Bytes();
    if (leaf.maxRep > 0) page.bytes(levels(leaf.reps, leaf.maxRep));
    if (leaf.maxDef > 0) page.bytes(levels(leaf.defs, leaf.maxDef));
    for (const v of leaf.values) {
      if (typeof v === 'bigint') page.i64le(v);
      else {
        const b = utf8(v);
        page.u32le(b.length);
        page.bytes(b);
      }
    }
    const pageBytes = page.toUint8Array();
    const header = new Bytes();
    writeThrift(
      header,
      struct(
        [1, i32(0)],
        [2, i32(pageBytes.length)],
        [3, i32(pageBytes.length)],
        [5, struct([1, i32(leaf.defs.length)], [2, i32(0)], [3, i32(3)], [4, i32(3)])],
      ),
    );
    const offset = file.length;
    file.bytes(header.toUint8Array());
    file.bytes(pageBytes);
    const size = header.length + pageBytes.length;
    chunks.push(
      struct(
        [2, i64(offset)],
        [
          3,
          struct(
            [1, i32(PHYSICAL[leaf.kind])],
            [2, { t: 'list', elem: 'i32', v: [i32(0), i32(3)] }],
            [3, { t: 'list', elem: 'bin', v: leaf.path.map(bin) }],
            [4, i32(0)],
            [5, i64(leaf.defs.length)],
            [6, i64(size)],
            [7, i64(size)],
            [9, i64(offset)],
          ),
        ],
      ),
    );
  }
  const dataSize = file.length - magic.length;
  const footer = new Bytes();
  writeThrift(
    footer,
    struct(
      [1, i32(1)],
      [2, { t: 'list', elem: 'struct', v: schemaElements(columns) }],
      [3, i64(rows.length)],
      [4, { t: 'list', elem: 'struct', v: [struct([1, { t: 'list', elem: 'struct', v: chunks }], [2, i64(dataSize)], [3, i64(rows.length)])] }],
      [6, bin('rlflow fixture writer (libs/rollout/src/data/testing/parquet-writer.ts)')],
    ),
  );
  file.bytes(footer.toUint8Array());
  file.u32le(footer.length);
  file.bytes(magic);
  return file.toUint8Array();
};
