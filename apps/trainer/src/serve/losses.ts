/**
 * The losses `rlflow serve` computes, as the Tinker API defines them (token sums; formulas in
 * @rlflow/engine builtin-loss.ts):
 *
 *   cross_entropy         inputs target_tokens, weights                L = −Σ weights·logp
 *   importance_sampling   inputs target_tokens, logprobs, advantages   L = −Σ r·A,  r = exp(logp − logprobs)
 *   ppo                   … and loss_fn_config {clip_low_threshold, clip_high_threshold} (default 0.8, 1.2)
 *                                                                      L = −Σ min(r·A, clamp(r, lo, hi)·A)
 *   cispo                 … with both thresholds given                 L = −Σ sg(clamp(r, lo, hi))·A·logp
 *
 * The request is decoded here with io-ts, so a missing or misshapen input is a 400 naming the
 * field. The server trains the RL losses through the engine contract: a forward for logp, then
 * ∂L/∂logp per token as the weights of the engine's forwardBackward (the loss depends on θ only
 * through logp), which is the built-in loss's gradient exactly.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import type { BuiltinLossName, BuiltinLossThresholds } from '@rlflow/engine';
import { wire as W } from '@rlflow/tinker';

/** What a decoded request asks the server to compute. */
export type LossSpec =
  | { readonly loss: 'cross_entropy' }
  | {
      readonly loss: BuiltinLossName;
      readonly thresholds: BuiltinLossThresholds | null;
      /** Per datum, per position: the behaviour log-probs and the advantages. */
      readonly samplingLogp: readonly (readonly number[])[];
      readonly advantages: readonly (readonly number[])[];
    };

/** ppo's thresholds when `loss_fn_config` leaves them out (the Tinker docs: ε = 0.2 both ways). */
export const PPO_DEFAULT_THRESHOLDS: BuiltinLossThresholds = { clipLow: 0.8, clipHigh: 1.2 };

const THRESHOLD_KEYS = ['clip_low_threshold', 'clip_high_threshold'] as const;

const RlInputs = t.type({ target_tokens: W.TensorData, logprobs: W.TensorData, advantages: W.TensorData });
const RlData = t.type({ data: t.array(t.type({ loss_fn_inputs: RlInputs })) });

const thresholdsOf = (loss: BuiltinLossName, config: Readonly<Record<string, number>>, field: string): E.Either<string, BuiltinLossThresholds | null> => {
  const allowed: readonly string[] = loss === 'importance_sampling' ? [] : THRESHOLD_KEYS;
  const unknown = Object.keys(config).find((key) => !allowed.includes(key));
  if (unknown !== undefined) return E.left(`${field}.${unknown}: is not a key of ${loss}'s config (${allowed.length === 0 ? 'it takes none' : `expected ${allowed.join(', ')}`})`);
  if (loss === 'importance_sampling') return E.right(null);
  const low = config['clip_low_threshold'];
  const high = config['clip_high_threshold'];
  if (loss === 'cispo' && (low === undefined || high === undefined)) return E.left(`${field}.${low === undefined ? 'clip_low_threshold' : 'clip_high_threshold'}: expected a number (cispo takes both thresholds)`);
  const thresholds = { clipLow: low ?? PPO_DEFAULT_THRESHOLDS.clipLow, clipHigh: high ?? PPO_DEFAULT_THRESHOLDS.clipHigh };
  if (thresholds.clipLow > thresholds.clipHigh) return E.left(`${field}.clip_low_threshold: is ${thresholds.clipLow}, above clip_high_threshold ${thresholds.clipHigh}`);
  return E.right(thresholds);
};

/** The loss of a forward / forward_backward input (`route` the body's key), or the 400's message naming the field. */
export const decodeLossSpec = (input: W.ForwardBackwardInput, route: 'forward_input' | 'forward_backward_input'): E.Either<string, LossSpec> => {
  const loss = input.loss_fn;
  if (loss === 'cross_entropy') return E.right({ loss });
  if (loss === 'dro') return E.left(`${route}.loss_fn: is "dro"; this server computes "cross_entropy", "importance_sampling", "ppo" and "cispo"`);
  return pipe(
    thresholdsOf(loss, input.loss_fn_config ?? {}, `${route}.loss_fn_config`),
    E.chain((thresholds) =>
      pipe(
        RlData.decode(input),
        E.mapLeft((errors) => W.wireErrors(errors).map((line) => `${route}.${line}`).join('; ')),
        E.chain(({ data }) => {
          const samplingLogp: number[][] = [];
          const advantages: number[][] = [];
          for (const [i, datum] of data.entries()) {
            const { target_tokens: targets, logprobs, advantages: a } = datum.loss_fn_inputs;
            for (const [key, tensor] of [['logprobs', logprobs], ['advantages', a]] as const) {
              if (tensor.dtype !== 'float32' || tensor.data.length !== targets.data.length) {
                return E.left(`${route}.data.${i}.loss_fn_inputs.${key}: expected ${targets.data.length} float32 values (one per target token), found ${tensor.data.length} ${tensor.dtype}`);
              }
            }
            samplingLogp.push(logprobs.data);
            advantages.push(a.data);
          }
          return E.right<string, LossSpec>({ loss, thresholds, samplingLogp, advantages });
        }),
      ),
    ),
  );
};
