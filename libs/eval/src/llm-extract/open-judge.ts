/**
 * Opens an LLM judge: its extraction cache and its chat client, configured like the model's own
 * client (timeouts, retries, backoff, seed). The caller closes `judge.cache` when done.
 */
import * as E from 'fp-ts/lib/Either.js';
import { DEFAULT_BACKOFF, type BackoffPolicy } from '../endpoint/backoff.js';
import { createChatClient, validateClientConfig, type ChatClientConfig } from '../endpoint/client.js';
import type { Secret } from '../endpoint/secret.js';
import { ExtractionCache } from './cache.js';
import type { Judge } from './extract.js';

export interface JudgeSettings {
  readonly endpoint: string;
  readonly model: string;
  readonly apiKey?: Secret;
  readonly cachePath: string;
  readonly maxTokens?: number;
}

export interface ClientSettings {
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly backoff?: BackoffPolicy;
  readonly seed: number;
}

export const openJudge = async (settings: JudgeSettings, client: ClientSettings): Promise<E.Either<string, Judge>> => {
  const opened = await ExtractionCache.open(settings.cachePath);
  if (E.isLeft(opened)) return E.left(opened.left.message);
  const cache = opened.right;
  const config: ChatClientConfig = {
    baseURL: settings.endpoint,
    ...(settings.apiKey === undefined ? {} : { apiKey: settings.apiKey }),
    timeoutMs: client.timeoutMs,
    maxRetries: client.maxRetries,
    backoff: client.backoff ?? DEFAULT_BACKOFF,
    seed: client.seed,
  };
  const invalid = validateClientConfig(config);
  if (invalid !== undefined) {
    await cache.close();
    return E.left(`judge: ${invalid}`);
  }
  return E.right({ client: createChatClient(config), model: settings.model, cache, ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }) });
};
