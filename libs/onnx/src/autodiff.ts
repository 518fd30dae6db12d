/**
 * Reverse-mode automatic differentiation over the ONNX graph builder (graph.ts). Each op adds
 * its forward node(s) and records its vector-Jacobian product (VJP), itself written as ONNX
 * nodes; `gradients` walks the record backwards from seeds ḡ_out and sums every input's
 * contributions (Griewank & Walther 2008, ch. 3). With y = f(x) and ḡ = ∂L/∂y:
 *
 *   matmul   Y = A·B            Ā = Ḡ·Bᵀ,  B̄ = Aᵀ·Ḡ (last two axes)
 *   add/sub  Y = A ± B          Ā = sum_to(Ḡ, A),  B̄ = ±sum_to(Ḡ, B)   (NumPy broadcasting undone)
 *   mul      Y = A ⊙ B          Ā = sum_to(Ḡ ⊙ B, A),  B̄ = sum_to(Ḡ ⊙ A, B)
 *   scale    Y = c·A            Ā = c·Ḡ
 *   relu     Y = max(A, 0)      Ā = Ḡ ⊙ sign(Y)
 *   rsqrt    Y = A^(-1/2)       Ā = −½·Ḡ ⊙ Y³
 *   exp      Y = e^A            Ā = Ḡ ⊙ Y
 *   sum      Y = Σ_axis A       Ā = broadcast of Ḡ
 *   softmax  Y = softmax(A)     Ā = Y ⊙ (Ḡ − Σ_j Ḡ⊙Y)
 *   logsoftmax Y = A − lse(A)   Ā = Ḡ − e^Y ⊙ Σ_j Ḡ
 *   transpose/reshape/slice/concat   the inverse permutation / shape / a zero pad / slices
 *   gather   Y = T[ids]         T̄ = onehot(ids)ᵀ·Ḡ
 */
import { GraphBuilder, intAttr, intsAttr, sizeOf, type Value } from './graph.js';

type Vjp = (g: Value) => readonly (Value | null)[];

interface Recorded {
  readonly output: Value;
  readonly inputs: readonly Value[];
  readonly vjp: Vjp;
}

const broadcastShape = (a: readonly number[], b: readonly number[]): number[] => {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    return Math.max(x, y);
  });
};

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

const normalAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

export class Tape {
  private readonly records: Recorded[] = [];
  private readonly differentiable = new Set<string>();
  private readonly params = new Set<string>();

  constructor(readonly g: GraphBuilder) {}

  /** A graph input gradients are taken with respect to. */
  param(name: string, shape: readonly number[]): Value {
    const v = this.g.input(name, shape);
    this.differentiable.add(v.name);
    this.params.add(v.name);
    return v;
  }

  matmul(a: Value, b: Value): Value {
    const rank = a.shape.length;
    if (rank !== b.shape.length || a.shape[rank - 1] !== b.shape[rank - 2]) throw new Error(`matmul of [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
    const shape = [...a.shape.slice(0, -1), b.shape[rank - 1]!];
    return this.record('MatMul', [a, b], {}, shape, (g) => [this.matmul(g, this.swapLast(b)), this.matmul(this.swapLast(a), g)]);
  }

  add(a: Value, b: Value): Value {
    return this.record('Add', [a, b], {}, broadcastShape(a.shape, b.shape), (g) => [this.sumTo(g, a.shape), this.sumTo(g, b.shape)]);
  }

  sub(a: Value, b: Value): Value {
    return this.record('Sub', [a, b], {}, broadcastShape(a.shape, b.shape), (g) => [this.sumTo(g, a.shape), this.scale(this.sumTo(g, b.shape), -1)]);
  }

  mul(a: Value, b: Value): Value {
    return this.record('Mul', [a, b], {}, broadcastShape(a.shape, b.shape), (g) => [this.sumTo(this.mul(g, b), a.shape), this.sumTo(this.mul(g, a), b.shape)]);
  }

  scale(a: Value, c: number): Value {
    return this.record('Mul', [a, this.g.scalar(c)], {}, a.shape, (g) => [this.scale(g, c), null]);
  }

  addScalar(a: Value, c: number): Value {
    return this.record('Add', [a, this.g.scalar(c)], {}, a.shape, (g) => [g, null]);
  }

  relu(a: Value): Value {
    const y = this.record('Relu', [a], {}, a.shape, (g) => [this.mul(g, this.g.node('Sign', [y], {}, y.shape))]);
    return y;
  }

  rsqrt(a: Value): Value {
    const root = this.g.node('Sqrt', [a], {}, a.shape);
    const y = this.record('Reciprocal', [root], {}, a.shape, (g) => [this.scale(this.mul(g, this.mul(y, this.mul(y, y))), -0.5)], [a]);
    return y;
  }

  exp(a: Value): Value {
    const y = this.record('Exp', [a], {}, a.shape, (g) => [this.mul(g, y)]);
    return y;
  }

  /** Σ over `axis`, keeping it as size 1 when `keepDims`. */
  sum(a: Value, axis: number, keepDims: boolean): Value {
    const ax = normalAxis(axis, a.shape.length);
    const kept = a.shape.map((d, i) => (i === ax ? 1 : d));
    const shape = keepDims ? kept : a.shape.filter((_, i) => i !== ax);
    return this.record('ReduceSum', [a, this.g.int64s([ax])], { keepdims: intAttr(keepDims ? 1 : 0) }, shape, (g) => [
      this.g.node('Expand', [keepDims ? g : this.reshape(g, kept), this.g.int64s(a.shape)], {}, a.shape),
    ]);
  }

  /** Softmax over the last axis. */
  softmax(a: Value): Value {
    const y = this.record('Softmax', [a], { axis: intAttr(-1) }, a.shape, (g) => [this.mul(y, this.sub(g, this.sum(this.mul(g, y), -1, true)))]);
    return y;
  }

  /** Log-softmax over the last axis. */
  logSoftmax(a: Value): Value {
    const y = this.record('LogSoftmax', [a], { axis: intAttr(-1) }, a.shape, (g) => [this.sub(g, this.mul(this.exp(y), this.sum(g, -1, true)))]);
    return y;
  }

  transpose(a: Value, perm: readonly number[]): Value {
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return this.record('Transpose', [a], { perm: intsAttr(perm) }, perm.map((p) => a.shape[p]!), (g) => [this.transpose(g, inverse)]);
  }

  reshape(a: Value, shape: readonly number[]): Value {
    if (sizeOf(shape) !== sizeOf(a.shape)) throw new Error(`reshape of [${a.shape.join(', ')}] to [${shape.join(', ')}]`);
    if (sameShape(shape, a.shape)) return a;
    return this.record('Reshape', [a, this.g.int64s(shape)], {}, shape, (g) => [this.reshape(g, a.shape)]);
  }

  /** Elements start..end−1 of `axis`. */
  slice(a: Value, axis: number, start: number, end: number): Value {
    const ax = normalAxis(axis, a.shape.length);
    if (start === 0 && end === a.shape[ax]) return a;
    const shape = a.shape.map((d, i) => (i === ax ? end - start : d));
    return this.record('Slice', [a, this.g.int64s([start]), this.g.int64s([end]), this.g.int64s([ax])], {}, shape, (g) => {
      const pads = new Array<number>(2 * a.shape.length).fill(0);
      pads[ax] = start;
      pads[a.shape.length + ax] = a.shape[ax]! - end;
      return [this.g.node('Pad', [g, this.g.int64s(pads)], {}, a.shape)];
    });
  }

  concat(parts: readonly Value[], axis: number): Value {
    const ax = normalAxis(axis, parts[0]!.shape.length);
    const shape = parts[0]!.shape.map((d, i) => (i === ax ? parts.reduce((n, p) => n + p.shape[ax]!, 0) : d));
    return this.record('Concat', parts, { axis: intAttr(ax) }, shape, (g) => {
      let offset = 0;
      return parts.map((p) => {
        const piece = this.slice(g, ax, offset, offset + p.shape[ax]!);
        offset += p.shape[ax]!;
        return piece;
      });
    });
  }

  /** Slices `ids` (int64, any shape) of `table` [V, ...] along its first axis: [...ids, ...]. */
  gather(table: Value, ids: Value): Value {
    const [rows, ...rest] = table.shape as [number, ...number[]];
    const width = sizeOf(rest);
    const shape = [...ids.shape, ...rest];
    return this.record('Gather', [table, ids], { axis: intAttr(0) }, shape, (g) => {
      const n = sizeOf(ids.shape);
      const flatIds = ids.shape.length === 1 ? ids : this.g.node('Reshape', [ids, this.g.int64s([n])], {}, [n], 'int64');
      const oneHot = this.g.node('OneHot', [flatIds, this.g.int64s([rows]), this.g.floats(Float32Array.of(0, 1), [2])], { axis: intAttr(-1) }, [n, rows]);
      return [this.reshape(this.matmul(this.transpose(oneHot, [1, 0]), this.reshape(g, [n, width])), table.shape), null];
    });
  }

  /**
   * ∂(Σ_i ⟨seed_i, value_i⟩)/∂p for every parameter p reached from the seeds: the recorded ops
   * walked in reverse order, each input's contributions summed. Parameters the seeds do not
   * reach get no entry.
   */
  gradients(seeds: readonly (readonly [Value, Value])[]): Map<string, Value> {
    const grads = new Map<string, Value>();
    const accumulate = (v: Value, g: Value): void => {
      const before = grads.get(v.name);
      grads.set(v.name, before === undefined ? g : this.g.node('Add', [before, g], {}, v.shape));
    };
    for (const [value, seed] of seeds) accumulate(value, seed);
    for (let i = this.records.length - 1; i >= 0; i--) {
      const { output, inputs, vjp } = this.records[i]!;
      const g = grads.get(output.name);
      if (g === undefined) continue;
      const inputGrads = vjp(g);
      inputs.forEach((input, k) => {
        const ig = inputGrads[k];
        if (ig !== null && ig !== undefined && this.differentiable.has(input.name)) accumulate(input, ig);
      });
    }
    const out = new Map<string, Value>();
    for (const [name, g] of grads) if (this.params.has(name)) out.set(name, g);
    return out;
  }

  private swapLast(a: Value): Value {
    const rank = a.shape.length;
    return this.transpose(a, [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2]);
  }

  /** Ḡ summed over the axes broadcasting expanded, reshaped to `shape`. */
  private sumTo(g: Value, shape: readonly number[]): Value {
    if (sameShape(g.shape, shape)) return g;
    const lead = g.shape.length - shape.length;
    const axes = g.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1));
    const kept = g.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const reduced = axes.length === 0 ? g : this.g.node('ReduceSum', [g, this.g.int64s(axes)], { keepdims: intAttr(1) }, kept);
    return sameShape(kept, shape) ? reduced : this.g.node('Reshape', [reduced, this.g.int64s(shape)], {}, shape);
  }

  /**
   * Adds node `op` and records its VJP against `inputs` (default: the node's inputs). The output
   * is differentiable when one of those inputs is.
   */
  private record(op: string, nodeInputs: readonly Value[], attributes: Parameters<GraphBuilder['node']>[2], shape: readonly number[], vjp: Vjp, inputs: readonly Value[] = nodeInputs): Value {
    const out = this.g.node(op, nodeInputs, attributes, shape);
    if (inputs.some((v) => this.differentiable.has(v.name))) {
      this.differentiable.add(out.name);
      this.records.push({ output: out, inputs, vjp });
    }
    return out;
  }
}
