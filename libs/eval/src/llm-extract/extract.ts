/**
 * LLM answer extraction for MathVista and LogicVista through any OpenAI-compatible endpoint, the
 * role GPT-4 / gpt-3.5-turbo plays in the official pipelines (docs/evaluation.md §1.2 step 6, §2.2 step 2).
 * The official deterministic steps run first (MathVista steps 1–4, LogicVista's pre-LLM rules);
 * what is left goes to the judge at temperature 0 with rlflow's prompt (prompt.ts), through the
 * on-disk cache (cache.ts), so a repeated extraction makes no request. A judge failure yields the
 * official fallback (MathVista `""`, LogicVista `['ZZZZZ']`) with the error, and is not cached.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { ChatClient, ChatMessage } from '../endpoint/client.js';
import type { MathVistaProblem } from '../formats/mathvista.js';
import { extractMathVistaAnswer } from '../scorers/mathvista.js';
import { LOGICVISTA_NO_CHOICE, preExtractLogicVista } from '../scorers/logicvista.js';
import type { ExtractionCache } from './cache.js';
import {
  RESPONSE_MARKER,
  logicVistaExtractionMessages,
  mathVistaExtractionMessages,
  parseLogicVistaJudgeReply,
  parseMathVistaJudgeReply,
  promptHash,
} from './prompt.js';

export interface Judge {
  readonly client: ChatClient;
  /** The judge model, recorded with every result it produced. */
  readonly model: string;
  readonly cache: ExtractionCache;
  readonly maxTokens?: number;
}

export type LlmExtractionSource = 'official' | 'cache' | 'llm' | 'llm-error';

export interface Extraction<A> {
  readonly value: A;
  readonly source: LlmExtractionSource;
  readonly error?: string;
}

export interface JudgeCounters {
  requests: number;
  cacheHits: number;
  failures: number;
}

export const newJudgeCounters = (): JudgeCounters => ({ requests: 0, cacheHits: 0, failures: 0 });

const askJudge = async (
  judge: Judge,
  messages: readonly ChatMessage[],
  hash: string,
  cacheText: string,
  key: string,
  counters: JudgeCounters,
): Promise<E.Either<string, { readonly reply: string; readonly cached: boolean }>> => {
  const cached = judge.cache.get(judge.model, hash, cacheText);
  if (cached !== undefined) {
    counters.cacheHits += 1;
    return E.right({ reply: cached, cached: true });
  }
  counters.requests += 1;
  const result = await judge.client.complete({ model: judge.model, messages, temperature: 0, maxTokens: judge.maxTokens ?? 64 }, { key: `judge:${key}` });
  if (E.isLeft(result)) {
    counters.failures += 1;
    return E.left(`${result.left.kind}: ${result.left.message}`);
  }
  await judge.cache.put(judge.model, hash, cacheText, result.right.content);
  return E.right({ reply: result.right.content, cached: false });
};

/** MathVista: official steps 1–4, then the judge. */
export const llmExtractMathVista =
  (judge: Judge, counters: JudgeCounters = newJudgeCounters()) =>
  async (
    problem: Pick<MathVistaProblem, 'pid' | 'question_type' | 'answer_type' | 'precision' | 'choices'>,
    query: string,
    response: string,
  ): Promise<Extraction<string>> => {
    const official = extractMathVistaAnswer(problem)(response);
    if (official.kind === 'extracted') return { value: official.extraction, source: 'official' };
    const hash = promptHash(mathVistaExtractionMessages(problem, query, RESPONSE_MARKER));
    const asked = await askJudge(judge, mathVistaExtractionMessages(problem, query, response), hash, response, `mathvista:${problem.pid}`, counters);
    if (E.isLeft(asked)) return { value: '', source: 'llm-error', error: asked.left };
    return { value: parseMathVistaJudgeReply(asked.right.reply), source: asked.right.cached ? 'cache' : 'llm' };
  };

/** LogicVista: the official pre-LLM rules, then the judge; the letters as the scorer compares them. */
export const llmExtractLogicVista =
  (judge: Judge, counters: JudgeCounters = newJudgeCounters()) =>
  async (id: string, question: string, raw: string): Promise<Extraction<readonly string[]>> => {
    const pre = preExtractLogicVista()(raw);
    if (pre.kind === 'resolved') return { value: pre.answers, source: 'official' };
    const hash = promptHash(logicVistaExtractionMessages(question, RESPONSE_MARKER));
    const asked = await askJudge(judge, logicVistaExtractionMessages(question, pre.entry), hash, pre.entry, `logicvista:${id}`, counters);
    if (E.isLeft(asked)) return { value: [LOGICVISTA_NO_CHOICE], source: 'llm-error', error: asked.left };
    return { value: parseLogicVistaJudgeReply(asked.right.reply), source: asked.right.cached ? 'cache' : 'llm' };
  };
