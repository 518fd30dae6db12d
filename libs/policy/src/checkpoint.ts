/**
 * A policy checkpoint: `policy.json` (format tag, the model configuration, each
 * parameter's name, shape and offset) and `weights.bin` (the parameters as float32,
 * little-endian, concatenated in `paramSpecs` order). Reading decodes `policy.json` with io-ts
 * and checks every parameter against the configuration's specs, so a truncated or mismatched
 * file is an error naming what is wrong, never a half-loaded policy. Each file is written
 * atomically; callers publish the directory holding them by a rename (the SFT store, the
 * trainer's checkpoints).
 */
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DecodeError, decodeWith, readBytes, readJson, writeFileAtomic } from '@rlflow/core';
import { PolicyConfigCodec, decodePolicyConfig, type PolicyConfig } from './config.js';
import { paramSpecs } from './params.js';
import { Policy } from './policy.js';

export const POLICY_FILE = 'policy.json';
export const WEIGHTS_FILE = 'weights.bin';
export const POLICY_FORMAT = 'rlflow-policy/1';

const ParamEntry = t.type({ name: t.string, shape: t.array(t.number), offset: t.number });
const PolicyManifestCodec = t.type({ format: t.literal(POLICY_FORMAT), config: t.unknown, params: t.array(ParamEntry) });

export interface PolicyManifest {
  readonly format: typeof POLICY_FORMAT;
  readonly config: PolicyConfig;
  readonly params: ReadonlyArray<t.TypeOf<typeof ParamEntry>>;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const toLittleEndian = (values: Float32Array): Uint8Array => {
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return bytes;
};

const fromLittleEndian = (bytes: Uint8Array): Float32Array => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
};

/** Writes `policy`'s configuration and weights into `dir`. */
export const writePolicyCheckpoint = async (dir: string, policy: Policy): Promise<void> => {
  const weights = policy.weights();
  const specs = paramSpecs(policy.config);
  const total = specs.reduce((n, s) => n + weights.get(s.name)!.length, 0);
  const flat = new Float32Array(total);
  const params: PolicyManifest['params'][number][] = [];
  let offset = 0;
  for (const spec of specs) {
    const values = weights.get(spec.name)!;
    flat.set(values, offset);
    params.push({ name: spec.name, shape: [...spec.shape], offset });
    offset += values.length;
  }
  await writeFileAtomic(join(dir, WEIGHTS_FILE), littleEndian ? new Uint8Array(flat.buffer) : toLittleEndian(flat));
  const manifest: PolicyManifest = { format: POLICY_FORMAT, config: PolicyConfigCodec.encode(policy.config), params };
  await writeFileAtomic(join(dir, POLICY_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
};

/** The manifest of the checkpoint in `dir`, decoded and checked against its configuration's parameter specs. */
export const readPolicyManifest = async (dir: string): Promise<E.Either<DecodeError, PolicyManifest>> => {
  const path = join(dir, POLICY_FILE);
  const json = await readJson(path);
  if (E.isLeft(json)) return json;
  const manifest = decodeWith(PolicyManifestCodec, path)(json.right);
  if (E.isLeft(manifest)) return manifest;
  const config = decodePolicyConfig(`${path} config`)(manifest.right.config);
  if (E.isLeft(config)) return config;
  const specs = paramSpecs(config.right);
  const problems: string[] = [];
  if (manifest.right.params.length !== specs.length) problems.push(`params: ${manifest.right.params.length} entries, the configuration has ${specs.length} parameters`);
  let offset = 0;
  specs.forEach((spec, i) => {
    const entry = manifest.right.params[i];
    if (entry === undefined) return;
    if (entry.name !== spec.name || entry.shape.join('x') !== spec.shape.join('x') || entry.offset !== offset) {
      problems.push(`params.${i}: ${entry.name} [${entry.shape.join(', ')}] at ${entry.offset}, expected ${spec.name} [${spec.shape.join(', ')}] at ${offset}`);
    }
    offset += spec.shape.reduce((a, b) => a * b, 1);
  });
  return problems.length > 0 ? E.left(new DecodeError(path, problems)) : E.right({ format: POLICY_FORMAT, config: config.right, params: manifest.right.params });
};

/** The policy stored in `dir`. */
export const readPolicyCheckpoint = async (dir: string): Promise<E.Either<DecodeError, Policy>> => {
  const manifest = await readPolicyManifest(dir);
  if (E.isLeft(manifest)) return manifest;
  const path = join(dir, WEIGHTS_FILE);
  const read = await readBytes(path);
  if (E.isLeft(read)) return read;
  const bytes = read.right;
  const specs = paramSpecs(manifest.right.config);
  const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (bytes.byteLength !== 4 * total) return E.left(new DecodeError(path, [`has ${bytes.byteLength} bytes, expected ${4 * total} (${total} float32 values)`]));
  const flat = fromLittleEndian(bytes);
  for (let i = 0; i < flat.length; i++) {
    if (!Number.isFinite(flat[i])) return E.left(new DecodeError(path, [`value ${i} is ${flat[i]}, expected a finite number`]));
  }
  const weights = new Map<string, Float32Array>();
  specs.forEach((spec, i) => {
    const offset = manifest.right.params[i]!.offset;
    weights.set(spec.name, flat.slice(offset, offset + spec.shape.reduce((a, b) => a * b, 1)));
  });
  return E.right(Policy.fromWeights(manifest.right.config, weights));
};
