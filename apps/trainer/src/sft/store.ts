/**
 * The SFT warm start as a cached artefact. Its directory — by default
 * `<cache root>/sft/<config hash>/` — holds `checkpoint/` and `sft.json`. `ensureSftCheckpoint`
 * returns the stored warm start when its record decodes, names the same hash and configuration,
 * and its checkpoint checks out (manifest, and weights matching the sha256 that both policy.json
 * and the record name); otherwise (missing, unreadable, another
 * configuration, or `force`) it trains one, evaluates it on the held-out suite and publishes
 * the directory atomically: everything is written under a temporary sibling, which is then
 * renamed into place (replacing a stale entry), so a crash never leaves a partial warm start.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { DecodeError, decodeWith, writeDirAtomic, writeFileAtomic, type StageError } from '@rlflow/core';
import { evaluateOnSuite } from '../evaluate/index.js';
import { verifyPolicyCheckpoint, WEIGHTS_FILE } from '@rlflow/policy';
import type { ProgressStream } from '../run/index.js';
import { canonicalJson, defaultSftConfig, REFERENCE_SFT_ENGINE, SFT_FORMAT, sftConfigHash, SftConfigCodec, type SftConfig } from './config.js';
import { isLocalEngineName, type EngineName } from '../engines.js';
import { createSftProgress } from './progress.js';
import { accuracyOf, CHECKPOINT_DIR, readSftRecord, RECORD_FILE, storedEvaluation, type SftRecord } from './record.js';
import { trainSft } from './train.js';

export interface EnsureSftOptions {
  /** Default: `defaultSftConfig()`. */
  readonly config?: SftConfig;
  /** The output directory; default `<cacheRoot>/sft/<config hash>`. */
  readonly out?: string;
  /** Default: `$RLFLOW_CACHE_DIR`, else `.rlflow-cache` in the working directory. */
  readonly cacheRoot?: string;
  /** Train even when a matching warm start is stored. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
  /** Where training progress goes (a bar on a terminal, plain lines otherwise); none when unset. */
  readonly progress?: ProgressStream;
  /** Where the engine computes when it trains (a backend choice); default: the backend already active. */
  readonly device?: string;
  /** The local engine that trains it (default tfjs, the reference); another engine's warm start is cached apart. */
  readonly engine?: EngineName;
}

export interface SftCheckpoint {
  readonly dir: string;
  readonly checkpointDir: string;
  readonly hash: string;
  readonly record: SftRecord;
  /** False when the stored warm start was reused. */
  readonly trained: boolean;
}

export type SftError = DecodeError | StageError;

export const defaultCacheRoot = (): string => resolve(process.env['RLFLOW_CACHE_DIR'] ?? '.rlflow-cache');

export const sftCacheDir = (hash: string, cacheRoot: string = defaultCacheRoot()): string => join(cacheRoot, 'sft', hash);

/** The stored warm start in `dir` when it was trained from `config`, else why not. */
export const storedSft = async (dir: string, config: SftConfig, engine: EngineName = REFERENCE_SFT_ENGINE): Promise<E.Either<string, SftRecord>> => {
  const record = await readSftRecord(dir);
  if (E.isLeft(record)) return E.left(`no usable ${RECORD_FILE} in ${dir} (${record.left.problems.join('; ')})`);
  const hash = sftConfigHash(config, engine);
  if (record.right.hash !== hash || canonicalJson(record.right.config) !== canonicalJson(config)) {
    return E.left(`${dir} holds the warm start of configuration ${record.right.hash}, not ${hash}`);
  }
  const manifest = await verifyPolicyCheckpoint(join(dir, record.right.checkpoint));
  if (E.isLeft(manifest)) return E.left(`the checkpoint in ${dir} is unusable (${manifest.left.message})`);
  return manifest.right.weightsSha256 === record.right.weightsSha256
    ? E.right(record.right)
    : E.left(`the checkpoint in ${dir} holds weights ${manifest.right.weightsSha256}, not the ${record.right.weightsSha256} its ${RECORD_FILE} scored`);
};

/** A refusal raised inside the atomic fill, so the half-built directory is removed and never published. */
class Unpublished extends Error {
  constructor(readonly error: SftError) {
    super(error.message);
  }
}

const train = async (config: SftConfig, hash: string, dir: string, options: EnsureSftOptions): Promise<E.Either<SftError, SftRecord>> => {
  const started = performance.now();
  const progress = options.progress === undefined ? undefined : createSftProgress({ totalSteps: config.steps, stream: options.progress });
  const trained = await trainSft(config, (step) => progress?.update(step), options.device, options.engine).finally(() => progress?.stop());
  if (E.isLeft(trained)) return trained;
  const { engine } = trained.right;
  try {
    // The engine's weights are the stored ones (float32, saved bit for bit); they are evaluated through the engine.
    const record = await writeDirAtomic(dir, async (tmp) => {
      const checkpointDir = join(tmp, CHECKPOINT_DIR);
      const saved = await engine.savePolicy(checkpointDir);
      if (E.isLeft(saved)) throw new Unpublished(saved.left);
      const evalStarted = performance.now();
      const evaluation = await evaluateOnSuite({ engine, ...config.eval });
      if (E.isLeft(evaluation)) throw new Unpublished(evaluation.left);
      const evalSeconds = (performance.now() - evalStarted) / 1000;
      const stored = storedEvaluation(evaluation.right);
      const written: SftRecord = {
        format: SFT_FORMAT,
        hash,
        config,
        checkpoint: CHECKPOINT_DIR,
        weightsSha256: saved.right.files[WEIGHTS_FILE]!,
        backend: engine.info.device,
        seconds: { train: trained.right.seconds, eval: evalSeconds, total: (performance.now() - started) / 1000 },
        losses: [...trained.right.losses],
        accuracy: accuracyOf(stored),
        evaluation: stored,
        createdAt: new Date().toISOString(),
      };
      await writeFileAtomic(join(tmp, RECORD_FILE), `${JSON.stringify(written, null, 2)}\n`);
      return written;
    });
    return E.right(record);
  } catch (error) {
    if (error instanceof Unpublished) return E.left(error.error);
    throw error;
  } finally {
    await engine.dispose();
  }
};

/** The warm start for `options.config`: the stored one when it matches, else a freshly trained one. */
export const ensureSftCheckpoint = async (options: EnsureSftOptions = {}): Promise<E.Either<SftError, SftCheckpoint>> => {
  const decoded = decodeWith(SftConfigCodec, 'sft config')(SftConfigCodec.encode(options.config ?? defaultSftConfig()));
  if (E.isLeft(decoded)) return decoded;
  const config = decoded.right;
  const engine = options.engine ?? REFERENCE_SFT_ENGINE;
  if (!isLocalEngineName(engine)) return E.left(new DecodeError('sft engine', [`is ${engine}, which does not train the built-in model locally`]));
  const hash = sftConfigHash(config, engine);
  const dir = resolve(options.out ?? sftCacheDir(hash, options.cacheRoot ?? defaultCacheRoot()));
  const log = options.log ?? (() => undefined);
  const done = (record: SftRecord, trained: boolean): SftCheckpoint => ({ dir, checkpointDir: join(dir, record.checkpoint), hash, record, trained });
  if (options.force !== true) {
    const stored = await storedSft(dir, config, engine);
    if (E.isRight(stored)) return E.right(done(stored.right, false));
    log(`sft: ${stored.left}: training it`);
  }
  const contents = await readdir(dir).catch(() => null);
  if (contents !== null && contents.length > 0 && !contents.includes(RECORD_FILE)) {
    return E.left(new DecodeError(dir, [`is a non-empty directory without ${RECORD_FILE}; refusing to replace it with a warm start`]));
  }
  return E.map((record: SftRecord) => done(record, true))(await train(config, hash, dir, options));
};

