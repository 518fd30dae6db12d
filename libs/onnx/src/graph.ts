/**
 * A typed ONNX graph builder: every value carries its static shape and element type, every node
 * is checked for the shape it produces when it is added, and `model()` serializes the graph as
 * an ONNX ModelProto (onnx-proto.ts). Constants are initializers, deduplicated by content.
 * Static shapes are what lets the autodiff (autodiff.ts) emit each vector-Jacobian product
 * without shape inference at run time.
 */
import { ATTRIBUTE_TYPE, DATA_TYPE, encodeModel, type AttributeMessage, type ElemType, type NodeMessage, type TensorMessage, type ValueInfoMessage } from './onnx-proto.js';

export type { ElemType } from './onnx-proto.js';

export interface Value {
  readonly name: string;
  readonly shape: readonly number[];
  readonly type: ElemType;
}

export type Attribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'tensor'; readonly value: Float32Array };

export const intAttr = (value: number): Attribute => ({ kind: 'int', value });
export const intsAttr = (value: readonly number[]): Attribute => ({ kind: 'ints', value });
export const floatAttr = (value: number): Attribute => ({ kind: 'float', value });

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const attributeMessage = (name: string, attr: Attribute): AttributeMessage => {
  switch (attr.kind) {
    case 'int':
      return { name, type: ATTRIBUTE_TYPE.int, i: attr.value };
    case 'float':
      return { name, type: ATTRIBUTE_TYPE.float, f: attr.value };
    case 'ints':
      return { name, type: ATTRIBUTE_TYPE.ints, ints: attr.value };
    case 'tensor':
      return { name, type: ATTRIBUTE_TYPE.tensor, t: { name: '', dims: [attr.value.length], dataType: DATA_TYPE.float, rawData: bytesOf(attr.value) } };
  }
};

const bytesOf = (values: Float32Array | BigInt64Array): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();

const valueInfo = (v: Value): ValueInfoMessage => ({
  name: v.name,
  type: { tensorType: { elemType: DATA_TYPE[v.type], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
});

export class GraphBuilder {
  private readonly nodes: NodeMessage[] = [];
  private readonly initializers: TensorMessage[] = [];
  private readonly inputs: Value[] = [];
  private readonly outputs: Value[] = [];
  private readonly constants = new Map<string, Value>();
  private counter = 0;

  input(name: string, shape: readonly number[], type: ElemType = 'float'): Value {
    const v = { name, shape: [...shape], type };
    this.inputs.push(v);
    return v;
  }

  /** Marks `v` as a graph output under `name` (an Identity node when the names differ). */
  output(name: string, v: Value): void {
    const out = v.name === name ? v : this.node('Identity', [v], {}, v.shape, v.type, name);
    this.outputs.push(out);
  }

  /** An int64 constant (shapes, axes, starts, pads), shared between the nodes that use the same values. */
  int64s(values: readonly number[]): Value {
    return this.constant(`i64:${values.join(',')}`, 'int64', [values.length], BigInt64Array.from(values.map((x) => BigInt(x))));
  }

  /** A float constant of `shape`. */
  floats(values: Float32Array, shape: readonly number[]): Value {
    if (values.length !== sizeOf(shape)) throw new Error(`constant of shape [${shape.join(', ')}] given ${values.length} values`);
    return this.constant(`f32:${shape.join('x')}:${Array.from(values).join(',')}`, 'float', shape, values);
  }

  scalar(x: number): Value {
    return this.floats(Float32Array.of(x), []);
  }

  /** Adds node `op` with one output of `shape` and returns it. */
  node(op: string, inputs: readonly Value[], attributes: Readonly<Record<string, Attribute>>, shape: readonly number[], type: ElemType = 'float', name?: string): Value {
    const out: Value = { name: name ?? `${op.toLowerCase()}_${this.counter++}`, shape: [...shape], type };
    this.nodes.push({
      input: inputs.map((v) => v.name),
      output: [out.name],
      name: out.name,
      opType: op,
      attribute: Object.entries(attributes).map(([key, attr]) => attributeMessage(key, attr)),
    });
    return out;
  }

  /** The graph as a serialized ONNX ModelProto. */
  model(name: string): Uint8Array {
    return encodeModel({ name, node: this.nodes, initializer: this.initializers, input: this.inputs.map(valueInfo), output: this.outputs.map(valueInfo) });
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  private constant(key: string, type: ElemType, shape: readonly number[], values: Float32Array | BigInt64Array): Value {
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const v: Value = { name: `const_${this.constants.size}`, shape: [...shape], type };
    this.initializers.push({ name: v.name, dims: [...shape], dataType: DATA_TYPE[type], rawData: bytesOf(values) });
    this.constants.set(key, v);
    return v;
  }
}
