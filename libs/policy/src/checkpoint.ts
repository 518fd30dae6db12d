/**
 * A policy checkpoint: `policy.json` (format tag, the model configuration, each
 * parameter's name, shape and offset, and the sha256 of `weights.bin`) and `weights.bin` (the
 * parameters as float32, little-endian, concatenated in `paramSpecs` order). Reading decodes
 * `policy.json` with io-ts, checks every parameter against the configuration's specs and the
 * weights against their hash, so a truncated, tampered or mismatched file is an error naming
 * what is wrong, never a half-loaded policy. Each file is written atomically (the weights
 * first, the manifest naming their hash last); callers publish the directory holding them by a
 * rename (the SFT store, the trainer's checkpoints).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { DecodeError, decodeWith, readBytes, readJson, writeFileAtomic } from '@rlflow/core';
import { PolicyConfigCodec, decodePolicyConfig, type PolicyConfig } from './config.js';
import { paramSpecs } from './params.js';
import { Policy } from './policy.js';

export const POLICY_FILE = 'policy.json';
export const WEIGHTS_FILE = 'weights.bin';
/** Version 2 added `weightsSha256`; a version-1 checkpoint (no hash) is refused. */
export const POLICY_FORMAT = 'rlflow-policy/2';

const Sha256Hex = t.refinement(t.string, (s) => /^[0-9a-f]{64}$/.test(s), 'Sha256Hex');
const ParamEntry = t.type({ name: t.string, shape: t.array(t.number), offset: t.number });
const PolicyManifestCodec = t.type({ format: t.literal(POLICY_FORMAT), config: t.unknown, params: t.array(ParamEntry), weightsSha256: Sha256Hex });

export interface PolicyManifest {
  readonly format: typeof POLICY_FORMAT;
  readonly config: PolicyConfig;
  readonly params: ReadonlyArray<t.TypeOf<typeof ParamEntry>>;
  /** sha256 (hex) of `weights.bin`. */
  readonly weightsSha256: string;
}

/** The policy's configuration and weights as plain arrays, read from a checkpoint. */
export interface PolicyWeights {
  readonly config: PolicyConfig;
  readonly weights: Map<string, Float32Array>;
}

export const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

const parameterCount = (config: PolicyConfig): number => paramSpecs(config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);

/** The parameter maps one after the other, each in `paramSpecs` order, as float32 little-endian bytes. */
export const paramBytes = (config: PolicyConfig, maps: readonly ReadonlyMap<string, Float32Array>[]): Uint8Array => {
  const bytes = new Uint8Array(4 * parameterCount(config) * maps.length);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const map of maps) {
    for (const spec of paramSpecs(config)) {
      for (const value of map.get(spec.name)!) {
        view.setFloat32(offset, value, true);
        offset += 4;
      }
    }
  }
  return bytes;
};

/** The inverse of `paramBytes` for `count` maps; an error naming `path` when the size is not theirs. */
export const paramMaps = (config: PolicyConfig, bytes: Uint8Array, count: number, path: string): E.Either<DecodeError, Map<string, Float32Array>[]> => {
  const size = parameterCount(config);
  if (bytes.byteLength !== 4 * size * count) {
    return E.left(new DecodeError(path, [`has ${bytes.byteLength} bytes, expected ${4 * size * count} (${count} × ${size} float32 values)`]));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  return E.right(
    Array.from({ length: count }, () => {
      const map = new Map<string, Float32Array>();
      for (const spec of paramSpecs(config)) {
        const n = spec.shape.reduce((a, b) => a * b, 1);
        map.set(spec.name, Float32Array.from({ length: n }, (_, i) => view.getFloat32(offset + 4 * i, true)));
        offset += 4 * n;
      }
      return map;
    }),
  );
};

/** Writes a configuration and its weights into `dir`; returns the manifest written. */
export const writePolicyWeights = async (dir: string, config: PolicyConfig, weights: ReadonlyMap<string, Float32Array>): Promise<PolicyManifest> => {
  const params: PolicyManifest['params'][number][] = [];
  let offset = 0;
  for (const spec of paramSpecs(config)) {
    params.push({ name: spec.name, shape: [...spec.shape], offset });
    offset += spec.shape.reduce((x, y) => x * y, 1);
  }
  const bytes = paramBytes(config, [weights]);
  await writeFileAtomic(join(dir, WEIGHTS_FILE), bytes);
  const manifest: PolicyManifest = { format: POLICY_FORMAT, config: PolicyConfigCodec.encode(config), params, weightsSha256: sha256Hex(bytes) };
  await writeFileAtomic(join(dir, POLICY_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
};

/** Writes `policy`'s configuration and weights into `dir`. */
export const writePolicyCheckpoint = async (dir: string, policy: Policy): Promise<void> => void (await writePolicyWeights(dir, policy.config, policy.weights()));

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
  return problems.length > 0
    ? E.left(new DecodeError(path, problems))
    : E.right({ format: POLICY_FORMAT, config: config.right, params: manifest.right.params, weightsSha256: manifest.right.weightsSha256 });
};

/** The bytes of `weights.bin` in `dir`, refused (naming the file) when they are not the ones `manifest` names. */
const checkedWeightBytes = async (dir: string, manifest: PolicyManifest): Promise<E.Either<DecodeError, Uint8Array>> => {
  const path = join(dir, WEIGHTS_FILE);
  const read = await readBytes(path);
  if (E.isLeft(read)) return read;
  const expected = 4 * parameterCount(manifest.config);
  if (read.right.byteLength !== expected) return E.left(new DecodeError(path, [`has ${read.right.byteLength} bytes, expected ${expected} (${expected / 4} float32 values)`]));
  const actual = sha256Hex(read.right);
  return actual === manifest.weightsSha256 ? read : E.left(new DecodeError(path, [`sha256 ${actual}, ${POLICY_FILE} says ${manifest.weightsSha256}`]));
};

/** The manifest of the checkpoint in `dir` once its weights file is checked against the hash it names. */
export const verifyPolicyCheckpoint = async (dir: string): Promise<E.Either<DecodeError, PolicyManifest>> => {
  const manifest = await readPolicyManifest(dir);
  if (E.isLeft(manifest)) return manifest;
  const bytes = await checkedWeightBytes(dir, manifest.right);
  return E.isLeft(bytes) ? bytes : manifest;
};

/** The configuration and weights stored in `dir` as plain arrays (hash, sizes and values checked). */
export const readPolicyWeights = async (dir: string): Promise<E.Either<DecodeError, PolicyWeights>> => {
  const manifest = await readPolicyManifest(dir);
  if (E.isLeft(manifest)) return manifest;
  const read = await checkedWeightBytes(dir, manifest.right);
  if (E.isLeft(read)) return read;
  const path = join(dir, WEIGHTS_FILE);
  const maps = paramMaps(manifest.right.config, read.right, 1, path);
  if (E.isLeft(maps)) return maps;
  const weights = maps.right[0]!;
  let index = 0;
  for (const values of weights.values()) {
    for (const value of values) {
      if (!Number.isFinite(value)) return E.left(new DecodeError(path, [`value ${index} is ${value}, expected a finite number`]));
      index++;
    }
  }
  return E.right({ config: manifest.right.config, weights });
};

/** The policy stored in `dir`. */
export const readPolicyCheckpoint = async (dir: string): Promise<E.Either<DecodeError, Policy>> =>
  E.map(({ config, weights }: PolicyWeights) => Policy.fromWeights(config, weights))(await readPolicyWeights(dir));
