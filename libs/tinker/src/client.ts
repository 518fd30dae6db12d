/**
 * A client of the Tinker training API (JSON over HTTP, routes under `/api/v1`).
 *
 *   call(route, body)      a direct answer (client/config, create_session, get_info, …)
 *   submit(route, body)    a future {request_id}, then `retrieve_future` until it resolves:
 *                            try_again / 408        poll again at once (the server long-polls)
 *                            5xx, dropped, stalled  retry after a backoff
 *                            429                    back off, honouring Retry-After
 *                            410                    the server lost the future: resubmit the original body
 *                            {error, category}      the request failed: a value, never retried
 *
 * Resubmitting is safe because training calls carry a per-model `seq_id` (and sampling calls a
 * per-session one): the server treats a repeated (model_id, seq_id) as the same request. At most
 * `maxInFlight` HTTP requests are open at once. The API key goes in `X-API-Key` and nowhere else.
 */
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { FutureRetrieveRequest, RequestFailedResponse, TryAgainResponse, UntypedAPIFuture, wireErrors } from './wire.js';

export interface RetryOptions {
  /** First backoff; doubled up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Give up on one call after this long without a result. */
  readonly deadlineMs: number;
}

export interface TinkerClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8000 (routes are under /api/v1). */
  readonly url: string;
  readonly apiKey?: string;
  readonly retry?: Partial<RetryOptions>;
  /** Timeout of one submit or direct HTTP request (the SDK's is 60 s). */
  readonly requestTimeoutMs?: number;
  /** Timeout of one `retrieve_future` request; the server long-polls for less (the SDK gives up at 45 s). */
  readonly pollTimeoutMs?: number;
  readonly maxInFlight?: number;
  readonly fetch?: typeof fetch;
  /** Told about each retry (no body, no key). */
  readonly onRetry?: (event: TinkerRetryEvent) => void;
}

export interface TinkerRetryEvent {
  readonly route: string;
  readonly reason: string;
  readonly delayMs: number;
}

export type TinkerErrorKind = 'failed' | 'http' | 'decode' | 'timeout';

/** A call that did not give a result: the request failed on the server, a non-retryable HTTP status, a reply that does not decode, or the deadline. */
export class TinkerError extends Error {
  readonly _tag = 'TinkerError' as const;
  constructor(
    readonly kind: TinkerErrorKind,
    readonly route: string,
    readonly detail: string,
    readonly status: number | null = null,
    readonly category: string | null = null,
  ) {
    super(`${route}: ${detail}`);
    this.name = 'TinkerError';
  }
}

const DEFAULT_RETRY: RetryOptions = { baseDelayMs: 250, maxDelayMs: 10_000, deadlineMs: 15 * 60_000 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds (or an HTTP date) of a Retry-After header, in ms; undefined when absent or unreadable. */
export const retryAfterMs = (header: string | null, now = Date.now()): number | undefined => {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};

type Attempt =
  | { readonly kind: 'ok'; readonly body: unknown }
  | { readonly kind: 'retry'; readonly reason: string; readonly delayMs?: number; readonly immediate?: boolean }
  | { readonly kind: 'gone' }
  | { readonly kind: 'fatal'; readonly status: number; readonly detail: string };

/** A counting semaphore. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  async use<A>(work: () => Promise<A>): Promise<A> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.free++;
    }
  }
}

const decodeAs = <A>(codec: t.Decoder<unknown, A>, route: string, body: unknown): E.Either<TinkerError, A> => {
  const decoded = codec.decode(body);
  return E.isRight(decoded) ? E.right(decoded.right) : E.left(new TinkerError('decode', route, `the reply does not decode: ${wireErrors(decoded.left).join('; ')}`));
};

export class TinkerClient {
  readonly url: string;
  private readonly retry: RetryOptions;
  private readonly requestTimeoutMs: number;
  private readonly pollTimeoutMs: number;
  private readonly slots: Slots;
  private readonly fetchImpl: typeof fetch;
  private readonly headers: Record<string, string>;
  private readonly onRetry: (event: TinkerRetryEvent) => void;
  /** HTTP requests sent, by route (tests read it; retries counted). */
  readonly sent = new Map<string, number>();

  constructor(options: TinkerClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.pollTimeoutMs = options.pollTimeoutMs ?? 45_000;
    this.slots = new Slots(options.maxInFlight ?? 16);
    this.fetchImpl = options.fetch ?? fetch;
    this.headers = { 'content-type': 'application/json', accept: 'application/json', ...(options.apiKey === undefined ? {} : { 'x-api-key': options.apiKey }) };
    this.onRetry = options.onRetry ?? (() => undefined);
  }

  /** A route answered directly, retried on transient failures. */
  async call<A>(route: string, body: unknown, codec: t.Decoder<unknown, A>, method: 'GET' | 'POST' = 'POST'): Promise<E.Either<TinkerError, A>> {
    const reply = await this.withRetries(route, method, body, this.requestTimeoutMs, Date.now() + this.retry.deadlineMs);
    return E.isLeft(reply) ? reply : decodeAs(codec, route, reply.right);
  }

  /** A route answered with a future, retrieved until it resolves (see the header for the retry rules). */
  async submit<A>(route: string, body: unknown, codec: t.Decoder<unknown, A>): Promise<E.Either<TinkerError, A>> {
    const deadline = Date.now() + this.retry.deadlineMs;
    for (;;) {
      const submitted = await this.withRetries(route, 'POST', body, this.requestTimeoutMs, deadline);
      if (E.isLeft(submitted)) return submitted;
      const future = decodeAs(UntypedAPIFuture, route, submitted.right);
      if (E.isLeft(future)) return future;
      const result = await this.retrieve(route, future.right.request_id, deadline);
      if (result === 'gone') {
        this.onRetry({ route, reason: 'future gone (410): resubmitting', delayMs: 0 });
        continue;
      }
      if (E.isLeft(result)) return result;
      const failed = RequestFailedResponse.decode(result.right);
      if (E.isRight(failed)) return E.left(new TinkerError('failed', route, failed.right.error, null, failed.right.category));
      return decodeAs(codec, route, result.right);
    }
  }

  private async retrieve(route: string, requestId: string, deadline: number): Promise<E.Either<TinkerError, unknown> | 'gone'> {
    const body: FutureRetrieveRequest = { request_id: requestId };
    let failures = 0;
    for (;;) {
      if (Date.now() > deadline) return E.left(new TinkerError('timeout', route, `no result for request ${requestId} before the deadline`));
      const attempt = await this.attempt('retrieve_future', 'POST', body, this.pollTimeoutMs);
      if (attempt.kind === 'gone') return 'gone';
      if (attempt.kind === 'fatal') return E.left(new TinkerError('http', route, `retrieve_future: HTTP ${attempt.status}: ${attempt.detail}`, attempt.status));
      if (attempt.kind === 'retry') {
        if (attempt.immediate === true) continue;
        const delayMs = attempt.delayMs ?? this.backoff(failures++);
        this.onRetry({ route: 'retrieve_future', reason: attempt.reason, delayMs });
        await sleep(delayMs);
        continue;
      }
      failures = 0;
      if (E.isRight(TryAgainResponse.decode(attempt.body))) continue;
      return E.right(attempt.body);
    }
  }

  private backoff(failures: number): number {
    return Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** failures);
  }

  private async withRetries(route: string, method: 'GET' | 'POST', body: unknown, timeoutMs: number, deadline: number): Promise<E.Either<TinkerError, unknown>> {
    let failures = 0;
    for (;;) {
      const attempt = await this.attempt(route, method, body, timeoutMs);
      if (attempt.kind === 'ok') return E.right(attempt.body);
      if (attempt.kind === 'fatal') return E.left(new TinkerError('http', route, `HTTP ${attempt.status}: ${attempt.detail}`, attempt.status));
      const reason = attempt.kind === 'gone' ? 'HTTP 410' : attempt.reason;
      const delayMs = attempt.kind === 'retry' && attempt.immediate === true ? 0 : attempt.kind === 'retry' && attempt.delayMs !== undefined ? attempt.delayMs : this.backoff(failures++);
      if (Date.now() + delayMs > deadline) return E.left(new TinkerError('timeout', route, `gave up before the deadline (last: ${reason})`));
      this.onRetry({ route, reason, delayMs });
      await sleep(delayMs);
    }
  }

  private attempt(route: string, method: 'GET' | 'POST', body: unknown, timeoutMs: number): Promise<Attempt> {
    this.sent.set(route, (this.sent.get(route) ?? 0) + 1);
    return this.slots.use(async (): Promise<Attempt> => {
      let response: Response;
      let text: string;
      try {
        response = await this.fetchImpl(`${this.url}/api/v1/${route}`, {
          method,
          headers: this.headers,
          ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        return { kind: 'retry', reason: `no reply (${error instanceof Error ? error.message : String(error)})` };
      }
      const status = response.status;
      if (status === 410) return { kind: 'gone' };
      if (status === 408) return { kind: 'retry', reason: 'HTTP 408', immediate: true };
      if (status === 429) return { kind: 'retry', reason: 'HTTP 429', ...(retryAfterMs(response.headers.get('retry-after')) === undefined ? {} : { delayMs: retryAfterMs(response.headers.get('retry-after'))! }) };
      if (status >= 500) return { kind: 'retry', reason: `HTTP ${status}` };
      if (status < 200 || status >= 300) return { kind: 'fatal', status, detail: text.slice(0, 500) };
      try {
        return { kind: 'ok', body: JSON.parse(text) as unknown };
      } catch {
        return { kind: 'retry', reason: 'a reply that is not JSON (cut short?)' };
      }
    });
  }
}
