/**
 * The subset of the ONNX IR (ModelProto and what it contains) this package writes, as a
 * protobufjs schema, and the encoder of a model. Field numbers and enum values are those of the
 * ONNX IR specification (onnx/onnx.proto, IR version 8, https://onnx.ai/onnx/repo-docs/IR.html);
 * the schema is written here, field by field, for the messages used, not vendored.
 *
 *   ModelProto      ir_version 1, producer_name 2, graph 7, opset_import 8
 *   GraphProto      node 1, name 2, initializer 5, input 11, output 12
 *   NodeProto       input 1, output 2, name 3, op_type 4, attribute 5, domain 7
 *   AttributeProto  name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20
 *   TensorProto     dims 1, data_type 2, name 8, raw_data 9
 *   ValueInfoProto  name 1, type 2;  TypeProto tensor_type 1;  Tensor elem_type 1, shape 2
 *   TensorShapeProto dim 1;  Dimension dim_value 1
 */
import protobuf from 'protobufjs';

const field = (id: number, type: string, repeated = false) => (repeated ? { id, type, rule: 'repeated' } : { id, type });

const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        OperatorSetIdProto: { fields: { domain: field(1, 'string'), version: field(2, 'int64') } },
        TensorProto: { fields: { dims: field(1, 'int64', true), dataType: field(2, 'int32'), name: field(8, 'string'), rawData: field(9, 'bytes') } },
        AttributeProto: {
          fields: {
            name: field(1, 'string'),
            f: field(2, 'float'),
            i: field(3, 'int64'),
            s: field(4, 'bytes'),
            t: field(5, 'TensorProto'),
            floats: field(7, 'float', true),
            ints: field(8, 'int64', true),
            type: field(20, 'int32'),
          },
        },
        NodeProto: {
          fields: {
            input: field(1, 'string', true),
            output: field(2, 'string', true),
            name: field(3, 'string'),
            opType: field(4, 'string'),
            attribute: field(5, 'AttributeProto', true),
            domain: field(7, 'string'),
          },
        },
        Dimension: { fields: { dimValue: field(1, 'int64') } },
        TensorShapeProto: { fields: { dim: field(1, 'Dimension', true) } },
        TensorTypeProto: { fields: { elemType: field(1, 'int32'), shape: field(2, 'TensorShapeProto') } },
        TypeProto: { fields: { tensorType: field(1, 'TensorTypeProto') } },
        ValueInfoProto: { fields: { name: field(1, 'string'), type: field(2, 'TypeProto') } },
        GraphProto: {
          fields: {
            node: field(1, 'NodeProto', true),
            name: field(2, 'string'),
            initializer: field(5, 'TensorProto', true),
            input: field(11, 'ValueInfoProto', true),
            output: field(12, 'ValueInfoProto', true),
          },
        },
        ModelProto: {
          fields: {
            irVersion: field(1, 'int64'),
            producerName: field(2, 'string'),
            graph: field(7, 'GraphProto'),
            opsetImport: field(8, 'OperatorSetIdProto', true),
          },
        },
      },
    },
  },
});

const ModelProto = root.lookupType('onnx.ModelProto');

/** TensorProto.DataType values. */
export const DATA_TYPE = { float: 1, int64: 7 } as const;
export type ElemType = keyof typeof DATA_TYPE;

/** AttributeProto.AttributeType values. */
export const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

export interface TensorMessage {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly rawData: Uint8Array;
}

export interface AttributeMessage {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly t?: TensorMessage;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
}

export interface NodeMessage {
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly name: string;
  readonly opType: string;
  readonly attribute: readonly AttributeMessage[];
}

export interface ValueInfoMessage {
  readonly name: string;
  readonly type: { readonly tensorType: { readonly elemType: number; readonly shape: { readonly dim: readonly { readonly dimValue: number }[] } } };
}

export interface GraphMessage {
  readonly name: string;
  readonly node: readonly NodeMessage[];
  readonly initializer: readonly TensorMessage[];
  readonly input: readonly ValueInfoMessage[];
  readonly output: readonly ValueInfoMessage[];
}

/** The ONNX opset the graphs are written against (ReduceSum takes its axes as an input; ReduceMean is not used). */
export const OPSET = 17;
const IR_VERSION = 8;

/** A serialized ModelProto of `graph`, importing the default ONNX domain at OPSET. */
export const encodeModel = (graph: GraphMessage): Uint8Array =>
  ModelProto.encode(ModelProto.fromObject({ irVersion: IR_VERSION, producerName: 'rlflow', graph, opsetImport: [{ domain: '', version: OPSET }] })).finish();
