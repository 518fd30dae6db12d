/**
 * A chat-completions client for OpenAI-compatible servers (vLLM, SGLang, Ollama, OpenAI) with
 * exact retry control. Transport is the `openai` npm client (auth header, URL joining) with its
 * own retries set to 0 and its logger off; the raw body is read with `asResponse()` and decoded
 * with io-ts (reply.ts), so a malformed reply is a typed failure, not a crash. Each attempt runs
 * under its own timeout (headers and body), and the retry loop (backoff.ts) retries 408, 429, 5xx,
 * timeouts and dropped connections up to `maxRetries` times, honouring Retry-After.
 * The result is an Either: the client never throws for anything a server or network can do.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import * as E from 'fp-ts/lib/Either.js';
import { jitterDraw, parseRetryAfterMs, retryDelayMs, type BackoffPolicy } from './backoff.js';
import { decodeCompletion, type Completion } from './reply.js';
import { redactor, type Secret } from './secret.js';

export interface TextPart {
  readonly type: 'text';
  readonly text: string;
}
export interface ImagePart {
  readonly type: 'image_url';
  readonly image_url: { readonly url: string };
}
export type ContentPart = TextPart | ImagePart;
export interface ChatMessage {
  readonly role: 'system' | 'user';
  readonly content: string | readonly ContentPart[];
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly topP?: number;
  /** Sampling seed forwarded to servers that honour it (vLLM, SGLang, OpenAI). */
  readonly seed?: number;
}

export type FailureKind = 'http' | 'timeout' | 'connection' | 'malformed' | 'aborted';

/** Why a request failed, after `attempts` tries; `status` for HTTP failures. */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly attempts: number,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface CompletionResult extends Completion {
  readonly attempts: number;
  readonly elapsedMs: number;
}

export interface RetryEvent {
  readonly key: string;
  /** 0 for the first retry. */
  readonly retry: number;
  readonly delayMs: number;
  readonly kind: FailureKind;
  readonly status: number | null;
  readonly message: string;
}

export interface ChatClientConfig {
  /** Base URL of the OpenAI-compatible API, e.g. `http://127.0.0.1:8000/v1`. */
  readonly baseURL: string;
  readonly apiKey?: Secret;
  /** Limit of one attempt, from sending the request to the last byte of the reply. */
  readonly timeoutMs: number;
  /** Retries after the first attempt (0: no retry). */
  readonly maxRetries: number;
  readonly backoff: BackoffPolicy;
  /** Seed of the jitter draws. */
  readonly seed: number;
  /** Retry a 2xx reply whose body does not decode (off by default: it is recorded as the item's error). */
  readonly retryMalformed?: boolean;
  readonly onRetry?: (event: RetryEvent) => void;
}

export interface RequestContext {
  /** Stable name of the request (item and sample), the key of its jitter draws. */
  readonly key: string;
  readonly signal?: AbortSignal;
}

export interface ChatClient {
  readonly complete: (request: ChatRequest, context: RequestContext) => Promise<E.Either<EndpointError, CompletionResult>>;
}

interface AttemptFailure {
  readonly kind: FailureKind;
  readonly message: string;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
}

const RETRYABLE_STATUS = (status: number): boolean => status === 408 || status === 429 || status >= 500;

const errorText = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
};

const classify = (error: unknown, timedOut: boolean, aborted: boolean): AttemptFailure => {
  if (aborted) return { kind: 'aborted', message: 'request aborted', status: null, retryable: false };
  if (timedOut || error instanceof APIConnectionTimeoutError) {
    return { kind: 'timeout', message: 'request timed out', status: null, retryable: true };
  }
  if (error instanceof APIUserAbortError) return { kind: 'timeout', message: 'request timed out', status: null, retryable: true };
  if (error instanceof APIConnectionError) return { kind: 'connection', message: errorText(error), status: null, retryable: true };
  if (error instanceof APIError && typeof error.status === 'number') {
    const retryAfterMs = parseRetryAfterMs((name) => error.headers?.get(name), Date.now());
    return {
      kind: 'http',
      message: error.message.slice(0, 500),
      status: error.status,
      retryable: RETRYABLE_STATUS(error.status),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  // A body that stops mid-stream surfaces as a TypeError ("terminated") from the body read.
  return { kind: 'connection', message: errorText(error), status: null, retryable: true };
};

/** Waits `ms`; resolves false at once if `signal` aborts. */
const sleep = (ms: number, signal?: AbortSignal): Promise<boolean> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const requestBody = (request: ChatRequest): OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming => ({
  model: request.model,
  messages: request.messages.map((message): OpenAI.Chat.Completions.ChatCompletionMessageParam =>
    message.role === 'system'
      ? { role: 'system', content: typeof message.content === 'string' ? message.content : message.content.flatMap((p) => (p.type === 'text' ? [{ type: 'text' as const, text: p.text }] : [])) }
      : {
          role: 'user',
          content:
            typeof message.content === 'string'
              ? message.content
              : message.content.map((part) =>
                  part.type === 'text' ? { type: 'text' as const, text: part.text } : { type: 'image_url' as const, image_url: { url: part.image_url.url } },
                ),
        },
  ),
  ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
  ...(request.topP === undefined ? {} : { top_p: request.topP }),
  ...(request.seed === undefined ? {} : { seed: request.seed }),
});

export const validateClientConfig = (config: ChatClientConfig): string | undefined => {
  if (!Number.isInteger(config.maxRetries) || config.maxRetries < 0) return `maxRetries must be a non-negative integer, found ${config.maxRetries}`;
  if (!(config.timeoutMs > 0) || !Number.isFinite(config.timeoutMs)) return `timeoutMs must be a positive number, found ${config.timeoutMs}`;
  const { baseDelayMs, maxDelayMs, maxRetryAfterMs } = config.backoff;
  if (![baseDelayMs, maxDelayMs, maxRetryAfterMs].every((x) => Number.isFinite(x) && x >= 0)) return 'backoff delays must be finite and non-negative';
  try {
    const url = new URL(config.baseURL);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `endpoint must be an http(s) URL, found ${url.protocol}`;
  } catch {
    return 'endpoint is not a valid URL';
  }
  return undefined;
};

export const createChatClient = (config: ChatClientConfig): ChatClient => {
  const problem = validateClientConfig(config);
  if (problem !== undefined) throw new RangeError(`chat client: ${problem}`);
  const redact = redactor([config.apiKey]);
  const openai = new OpenAI({
    baseURL: config.baseURL,
    // Local servers need no key; the client requires one, so a fixed non-secret value is sent.
    apiKey: config.apiKey?.reveal() ?? 'no-key',
    maxRetries: 0,
    timeout: config.timeoutMs,
    logLevel: 'off',
  });

  const attempt = async (request: ChatRequest, signal: AbortSignal | undefined): Promise<E.Either<AttemptFailure, Completion>> => {
    const timeout = AbortSignal.timeout(config.timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      const response = await openai.chat.completions
        .create(requestBody(request), { signal: combined, maxRetries: 0, timeout: config.timeoutMs })
        .asResponse();
      const body = await response.text();
      return E.mapLeft((message: string): AttemptFailure => ({
        kind: 'malformed',
        message: redact(message),
        status: response.status,
        retryable: config.retryMalformed === true,
      }))(decodeCompletion(body));
    } catch (error) {
      const failure = classify(error, timeout.aborted, signal?.aborted === true);
      return E.left({ ...failure, message: redact(failure.message) });
    }
  };

  const complete = async (request: ChatRequest, context: RequestContext): Promise<E.Either<EndpointError, CompletionResult>> => {
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      const outcome = await attempt(request, context.signal);
      const attempts = retry + 1;
      if (E.isRight(outcome)) return E.right({ ...outcome.right, attempts, elapsedMs: Date.now() - started });
      const failure = outcome.left;
      if (!failure.retryable || retry >= config.maxRetries) {
        return E.left(new EndpointError(failure.kind, failure.message, attempts, failure.status));
      }
      const delayMs = retryDelayMs(config.backoff, retry, jitterDraw(config.seed, context.key, retry), failure.retryAfterMs);
      config.onRetry?.({ key: context.key, retry, delayMs, kind: failure.kind, status: failure.status, message: failure.message });
      if (!(await sleep(delayMs, context.signal))) return E.left(new EndpointError('aborted', 'request aborted', attempts));
    }
  };

  return { complete };
};
