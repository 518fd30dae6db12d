import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_CONFIG,
  applySet,
  decodeTrainConfig,
  deepMerge,
  parseConfigText,
  parseSet,
  readConfigSource,
  readResolvedConfig,
  resolveConfig,
  resolveConfigFile,
  writeResolvedConfig,
  type TrainConfig,
} from './index.js';

const problemsOf = <A>(result: E.Either<ConfigError, A>): readonly string[] => {
  if (E.isRight(result)) throw new Error(`expected a Left, got ${JSON.stringify(result.right)}`);
  expect(result.left).toBeInstanceOf(ConfigError);
  return result.left.problems;
};

const rightOf = <A>(result: E.Either<ConfigError, A>): A => {
  if (E.isLeft(result)) throw new Error(`expected a Right, got ${result.left.message}`);
  return result.right;
};

const yamlFile = (text: string) => ({ name: 'run.yaml', text });

describe('decoding', () => {
  it('accepts the defaults as they are', () => {
    expect(rightOf(decodeTrainConfig(DEFAULT_CONFIG))).toEqual(DEFAULT_CONFIG);
    expect(rightOf(resolveConfig({ sets: [] }))).toEqual(DEFAULT_CONFIG);
  });

  it('rejects an unknown key with its dotted path', () => {
    expect(problemsOf(resolveConfig({ file: yamlFile('optimizer:\n  lrr: 0.1\n'), sets: [] }))).toEqual(['optimizer.lrr: unknown key']);
    expect(problemsOf(resolveConfig({ file: yamlFile('stepz: 3\n'), sets: [] }))).toEqual(['stepz: unknown key']);
    expect(problemsOf(resolveConfig({ file: yamlFile('curriculum:\n  adaptive:\n    targetKL: 0.1\n'), sets: [] }))).toEqual([
      'curriculum.adaptive.targetKL: unknown key',
    ]);
  });

  it('keeps a __proto__ key as data and rejects it', () => {
    const result = resolveConfig({ file: { name: 'run.json', text: '{"__proto__": {"steps": 5}}' }, sets: [] });
    expect(problemsOf(result)).toEqual(['__proto__: unknown key']);
    expect(({} as Record<string, unknown>)['steps']).toBeUndefined();
  });

  it('rejects a wrong type, saying what was expected and what was found', () => {
    const cases: Array<[string, string]> = [
      ['rollout:\n  groupSize: eight\n', 'rollout.groupSize: expected an integer ≥ 2, found "eight"'],
      ['clip:\n  mode: fixd\n', 'clip.mode: expected one of "fixed", "aaac", found "fixd"'],
      ['curriculum:\n  gate: "yes"\n', 'curriculum.gate: expected true or false, found "yes"'],
      ['clip: 3\n', 'clip: expected an object, found 3'],
      ['clip:\n  dualClipC: big\n', 'clip.dualClipC: expected a number in (1, 100] or null, found "big"'],
      ['rollout:\n  families: counting\n', 'rollout.families: expected a non-empty list of distinct task families ("counting", "comparison", "arithmetic", "chart", "pattern"), found "counting"'],
      ['optimizer:\n  betas: [0.9]\n', 'optimizer.betas: expected a list of 2 numbers in [0, 1), found [0.9]'],
      ['algorithm:\n  normConstant: budget\n', 'algorithm.normConstant: expected a number in (0, 1000000000] or one of "padded-length", "max-new-tokens", found "budget"'],
      ['init: ""\n', 'init: expected "sft", "sft:RECIPE" (RECIPE one of default, demo), "scratch" or a checkpoint directory, found ""'],
      ['init: "sft:nope"\n', 'init: expected "sft", "sft:RECIPE" (RECIPE one of default, demo), "scratch" or a checkpoint directory, found "sft:nope"'],
    ];
    for (const [text, message] of cases) expect(problemsOf(resolveConfig({ file: yamlFile(text), sets: [] }))).toEqual([message]);
  });

  it('rejects an out-of-range value', () => {
    const cases: Array<[string, string]> = [
      ['clip:\n  epsHigh: -1\n', 'clip.epsHigh: expected a number in [0, 10], found -1'],
      ['rollout:\n  groupSize: 1.5\n', 'rollout.groupSize: expected an integer ≥ 2, found 1.5'],
      ['rollout:\n  groupSize: 1\n', 'rollout.groupSize: expected an integer ≥ 2, found 1'],
      ['rollout:\n  topP: 0\n', 'rollout.topP: expected a number in (0, 1], found 0'],
      ['rollout:\n  levels: [1, 6]\n', 'rollout.levels[1]: expected one of 1, 2, 3, 4, 5, found 6'],
      ['rollout:\n  levels: [2, 2]\n', 'rollout.levels[1]: expected a value not already in the list, found 2'],
      ['rollout:\n  levels: []\n', 'rollout.levels: expected a non-empty list of distinct levels (1, 2, 3, 4, 5), found []'],
      ['entropy:\n  coef: -0.1\n', 'entropy.coef: expected a number in [0, 100], found -0.1'],
      ['entropy:\n  lossAgg: mean\n', 'entropy.lossAgg: expected one of "token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm", found "mean"'],
      ['optimizer:\n  betas: [0.9, 1]\n', 'optimizer.betas[1]: expected a number in [0, 1), found 1'],
      ['optimizer:\n  lr: .nan\n', 'optimizer.lr: expected a number in (0, 1], found NaN'],
      ['seed: -1\n', 'seed: expected an integer in [0, 4294967295], found -1'],
      ['apo:\n  stcrBase: 1\n', 'apo.stcrBase: expected a number in (1, 10], found 1'],
    ];
    for (const [text, message] of cases) expect(problemsOf(resolveConfig({ file: yamlFile(text), sets: [] }))).toEqual([message]);
  });

  it('has the objective’s choices as fields with their defaults: KL and PAPO aggregations, the entropy bonus (off)', () => {
    expect(DEFAULT_CONFIG.kl.lossAgg).toBe('token-mean');
    expect(DEFAULT_CONFIG.papo.lossAgg).toBe('token-mean');
    expect(DEFAULT_CONFIG.entropy).toEqual({ coef: 0, lossAgg: 'token-mean' });
    const config = rightOf(resolveConfig({ sets: ['apo.dads=true', 'kl.lossAgg=seq-mean-token-sum', 'papo.lossAgg=seq-mean-token-mean', 'entropy.coef=0.01'] }));
    expect([config.kl.lossAgg, config.papo.lossAgg, config.entropy]).toEqual(['seq-mean-token-sum', 'seq-mean-token-mean', { coef: 0.01, lossAgg: 'token-mean' }]);
  });

  it('rejects fields that contradict each other', () => {
    expect(problemsOf(resolveConfig({ sets: ['curriculum.kMin=3', 'curriculum.kMax=2'] }))).toEqual([
      'curriculum.kMax: expected an integer ≥ curriculum.kMin (3), found 2',
    ]);
    expect(problemsOf(resolveConfig({ sets: ['curriculum.nMax=9'] }))).toEqual(['curriculum.nMax: expected an integer ≤ rollout.groupSize (8) or null, found 9']);
    expect(problemsOf(resolveConfig({ sets: ['reward.overlong.bufferLen=33'] }))).toEqual([
      'reward.overlong.bufferLen: expected an integer ≤ reward.overlong.maxLen (32), found 33',
    ]);
    expect(problemsOf(resolveConfig({ sets: ['reward.overlong.enabled=true', 'rollout.maxNewTokens=16'] }))).toEqual([
      'reward.overlong.maxLen: expected an integer ≤ rollout.maxNewTokens (16), found 32',
    ]);
    expect(problemsOf(resolveConfig({ sets: ['steps=5', 'optimizer.warmupSteps=6'] }))).toEqual(['optimizer.warmupSteps: expected an integer ≤ steps (5), found 6']);
    expect(problemsOf(resolveConfig({ preset: 'acpo', sets: ['curriculum.sampling.pool=4'] }))).toEqual([
      'curriculum.sampling.pool: expected an integer ≥ rollout.promptsPerStep (8), found 4',
    ]);
    expect(problemsOf(resolveConfig({ sets: ['curriculum.sampling.floor=0'] }))).toEqual(['curriculum.sampling.floor: expected a number in (0, 1], found 0']);
  });

  it('reports every problem at once', () => {
    const text = 'optimizer:\n  lrr: 1\nclip:\n  epsHigh: -1\nrollout:\n  groupSize: 1.5\n';
    expect(problemsOf(resolveConfig({ file: yamlFile(text), sets: ['x.y=1'] }))).toEqual([
      'x.y: unknown key (from --set x.y=1)',
      'rollout.groupSize: expected an integer ≥ 2, found 1.5',
      'clip.epsHigh: expected a number in [0, 10], found -1',
      'optimizer.lrr: unknown key',
    ]);
  });

  it('rejects a root that is not an object', () => {
    expect(problemsOf(decodeTrainConfig([1]))).toEqual(['(root): expected an object, found [1]']);
  });
});

describe('files', () => {
  it('reads YAML and JSON, merging over the defaults', () => {
    const fromYaml = rightOf(resolveConfig({ file: yamlFile('steps: 7\noptimizer:\n  lr: 1.0e-3\n'), sets: [] }));
    expect(fromYaml.steps).toBe(7);
    expect(fromYaml.optimizer).toEqual({ ...DEFAULT_CONFIG.optimizer, lr: 1e-3 });
    const fromJson = rightOf(resolveConfig({ file: { name: 'run.JSON', text: '{"rollout": {"families": ["chart"]}}' }, sets: [] }));
    expect(fromJson.rollout).toEqual({ ...DEFAULT_CONFIG.rollout, families: ['chart'] });
    expect(rightOf(parseConfigText(yamlFile('')))).toEqual({});
  });

  it('reports syntax errors with the file name', () => {
    expect(problemsOf(resolveConfig({ file: { name: 'run.json', text: '{"steps": ' }, sets: [] }))).toEqual(['run.json: Unexpected end of JSON input']);
    expect(problemsOf(resolveConfig({ file: yamlFile('steps: 1\nsteps: 2\n'), sets: [] }))).toEqual(['run.yaml: Map keys must be unique at line 2, column 1']);
    expect(problemsOf(resolveConfig({ file: yamlFile('- 1\n- 2\n'), sets: [] }))).toEqual(['run.yaml: expected a mapping at the top level, found [1,2]']);
  });

  it('reads a file from disk, or says why it cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-config-'));
    const missing = await readConfigSource(join(dir, 'nope.yaml'));
    expect(E.isLeft(missing) && missing.left.problems[0]).toMatch(/nope\.yaml: cannot read the file \(ENOENT/);
    expect(E.isLeft(await resolveConfigFile({ path: join(dir, 'nope.yaml'), sets: [] }))).toBe(true);
    await writeFile(join(dir, 'run.yaml'), 'preset: cispo\nsteps: 4\n');
    const config = rightOf(await resolveConfigFile({ path: join(dir, 'run.yaml'), sets: ['seed=9'] }));
    expect([config.preset, config.steps, config.seed, config.clip.epsHigh]).toEqual(['cispo', 4, 9, 4]);
    expect(rightOf(await resolveConfigFile({ preset: 'ppo', sets: [] })).algorithm.advantage).toBe('rloo');
  });

  it('takes the preset a file names, and refuses a conflicting one', () => {
    const config = rightOf(resolveConfig({ file: yamlFile('preset: dapo\nsteps: 3\n'), sets: [] }));
    expect(config.preset).toBe('dapo');
    expect(config.clip.epsHigh).toBe(0.28);
    expect(config.steps).toBe(3);
    expect(rightOf(resolveConfig({ preset: 'dapo', file: yamlFile('preset: dapo\n'), sets: [] })).preset).toBe('dapo');
    expect(problemsOf(resolveConfig({ preset: 'grpo', file: yamlFile('preset: dapo\n'), sets: [] }))).toEqual([
      'preset: run.yaml is built on preset "dapo" but preset "grpo" was asked for',
    ]);
    expect(problemsOf(resolveConfig({ preset: 'grpp', sets: [] }))).toEqual([
      'preset: expected one of "grpo", "drgrpo", "dapo", "ppo", "gspo", "cispo", "papo", "apo", "acpo", "acpo-apo", found "grpp"',
    ]);
  });
});

describe('--set', () => {
  it('parses YAML scalars and flow lists', () => {
    expect(rightOf(parseSet('optimizer.lr=1e-3'))).toEqual({ text: 'optimizer.lr=1e-3', path: ['optimizer', 'lr'], value: 1e-3 });
    expect(rightOf(parseSet('curriculum.gate=true')).value).toBe(true);
    expect(rightOf(parseSet('clip.dualClipC=null')).value).toBeNull();
    expect(rightOf(parseSet('init=runs/a/checkpoints/step-000010')).value).toBe('runs/a/checkpoints/step-000010');
    expect(rightOf(parseSet('init="007"')).value).toBe('007');
    expect(rightOf(parseSet('rollout.levels=[1, 2,3]')).value).toEqual([1, 2, 3]);
    expect(rightOf(parseSet(' steps = 12 ')).value).toBe(12);
    expect(rightOf(parseSet('init=a=b')).value).toBe('a=b');
  });

  it('rejects malformed overrides', () => {
    expect(problemsOf(parseSet('steps'))).toEqual(['--set steps: expected path=value']);
    expect(problemsOf(parseSet('=3'))).toEqual(['--set =3: "" is not a dotted key path']);
    expect(problemsOf(parseSet('a..b=3'))).toEqual(['--set a..b=3: "a..b" is not a dotted key path']);
    expect(problemsOf(parseSet('steps='))).toEqual(['--set steps=: no value after "=" (write null for null)']);
    expect(problemsOf(parseSet('clip={a: 1}'))).toEqual(['--set clip={a: 1}: expected a scalar or a list of scalars, found {"a":1}']);
    expect(problemsOf(parseSet('steps=.inf'))).toEqual(['--set steps=.inf: expected a finite number, found Infinity']);
  });

  it('overrides the file, the preset and the defaults, last one winning', () => {
    const config = rightOf(
      resolveConfig({ preset: 'acpo', file: yamlFile('curriculum:\n  kMax: 4\nsteps: 9\n'), sets: ['curriculum.kMax=5', 'steps=10', 'steps=11', 'rollout.dataset=data/x.jsonl'] }),
    );
    expect(config.curriculum.kMax).toBe(5);
    expect(config.curriculum.schedule).toBe('linear');
    expect(config.steps).toBe(11);
    expect(config.rollout.dataset).toBe('data/x.jsonl');
  });

  it('rejects paths that do not exist, and values that do not decode', () => {
    expect(problemsOf(resolveConfig({ sets: ['optimizer.lrr=0.1'] }))).toEqual(['optimizer.lrr: unknown key (from --set optimizer.lrr=0.1)']);
    expect(problemsOf(resolveConfig({ sets: ['steps.x=1'] }))).toEqual(['steps.x: unknown key (from --set steps.x=1)']);
    expect(problemsOf(resolveConfig({ sets: ['preset=dapo'] }))).toEqual(['preset: cannot be changed with --set (choose the preset with --preset)']);
    expect(problemsOf(resolveConfig({ sets: ['clip.epsHigh=-1'] }))).toEqual(['clip.epsHigh: expected a number in [0, 10], found -1']);
  });

  it('does not modify the value it is applied to', () => {
    const base = { a: { b: 1 } };
    const override = rightOf(parseSet('a.b=2'));
    expect(rightOf(applySet(override)(base))).toEqual({ a: { b: 2 } });
    expect(base).toEqual({ a: { b: 1 } });
  });
});

describe('deepMerge', () => {
  const json = fc.jsonValue({ maxDepth: 3 });

  it('is the identity with an empty or missing override, and returns the override for non-objects', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), (base) => {
        expect(deepMerge(base, {})).toEqual(base);
        expect(deepMerge(base, undefined)).toEqual(base);
      }),
      { numRuns: 100 },
    );
    expect(deepMerge({ a: 1 }, [1, 2])).toEqual([1, 2]);
    expect(deepMerge({ a: 1 }, null)).toBeNull();
  });

  it('takes every leaf of the override and keeps the rest of the base, without modifying either', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), fc.dictionary(fc.string(), json), (base, override) => {
        const before = JSON.stringify([base, override]);
        const merged = deepMerge(base, override) as Record<string, unknown>;
        expect(JSON.stringify([base, override])).toBe(before);
        for (const key of Object.keys(override)) {
          const o = override[key];
          const isObj = (u: unknown) => typeof u === 'object' && u !== null && !Array.isArray(u);
          if (!(isObj(o) && isObj(base[key]))) expect(merged[key]).toEqual(o);
        }
        for (const key of Object.keys(base)) if (!Object.hasOwn(override, key)) expect(merged[key]).toEqual(base[key]);
      }),
      { numRuns: 100 },
    );
  });

  it('merges nested objects and replaces lists', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: null })).toEqual({ a: { b: 1, c: [3] }, d: 1, e: null });
  });
});

describe('config.json in the run directory', () => {
  it('is written atomically with the preset name and reads back equal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-config-'));
    const config: TrainConfig = rightOf(resolveConfig({ preset: 'gspo', sets: ['steps=3'] }));
    await writeResolvedConfig(dir, config);
    expect(await readdir(dir)).toEqual(['config.json']);
    const stored = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as TrainConfig;
    expect(stored.preset).toBe('gspo');
    expect(rightOf(await readResolvedConfig(dir))).toEqual(config);
  });

  it('reads a config.json written before remote.builtinLosses existed, keeping that run on the gradient path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-config-'));
    const config: TrainConfig = rightOf(resolveConfig({ preset: 'dapo', sets: ['steps=3'] }));
    const { builtinLosses: _, ...olderRemote } = config.remote;
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, remote: olderRemote }));
    expect(rightOf(await readResolvedConfig(dir))).toEqual({ ...config, remote: { ...config.remote, builtinLosses: false } });
  });

  it('is decoded when read back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-config-'));
    await writeResolvedConfig(dir, { ...DEFAULT_CONFIG, steps: 0 });
    expect(problemsOf(await readResolvedConfig(dir))).toEqual([`${join(dir, 'config.json')}: steps: expected an integer ≥ 1, found 0`]);
  });
});
