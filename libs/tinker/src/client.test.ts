import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import * as fc from 'fast-check';
import { retryAfterMs, TinkerClient, type TinkerRetryEvent } from './client.js';
import { CreateModelResponse, wireErrors, OptimStepRequest } from './wire.js';

type Reply = { status: number; body: unknown; headers?: Record<string, string> } | 'drop';

/** A fetch that answers from a script, recording each call's route and body. */
const scripted = (script: (route: string, body: unknown, n: number) => Reply) => {
  const calls: { route: string; body: unknown }[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const route = String(input).replace(/^.*\/api\/v1\//, '');
    const body = init?.body === undefined ? undefined : (JSON.parse(String(init.body)) as unknown);
    calls.push({ route, body });
    const reply = script(route, body, calls.length);
    if (reply === 'drop') throw new TypeError('fetch failed');
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: reply.headers });
  }) as typeof fetch;
  return { calls, fetchImpl };
};

const client = (fetchImpl: typeof fetch, events: TinkerRetryEvent[] = []) =>
  new TinkerClient({ url: 'http://127.0.0.1:1/', fetch: fetchImpl, retry: { baseDelayMs: 1, maxDelayMs: 5, deadlineMs: 5_000 }, onRetry: (e) => events.push(e) });

describe('TinkerClient', () => {
  it('polls through try_again and 408, retries 5xx and dropped connections, and decodes the result', async () => {
    const polls: Reply[] = [
      { status: 200, body: { type: 'try_again', request_id: 'r1', queue_state: 'active' } },
      { status: 408, body: { type: 'try_again', request_id: 'r1', queue_state: 'active' } },
      { status: 503, body: {} },
      'drop',
      { status: 200, body: { type: 'create_model', model_id: 'm1' } },
    ];
    const { calls, fetchImpl } = scripted((route) => (route === 'create_model' ? { status: 200, body: { request_id: 'r1' } } : polls.shift()!));
    const result = await client(fetchImpl).submit('create_model', { base_model: 'b' }, CreateModelResponse);
    expect(result).toEqual(E.right({ type: 'create_model', model_id: 'm1' }));
    expect(calls.map((c) => c.route)).toEqual(['create_model', ...Array<string>(5).fill('retrieve_future')]);
  });

  it('backs off a 429 for its Retry-After, and resubmits the original body after a 410', async () => {
    const events: TinkerRetryEvent[] = [];
    let submits = 0;
    const { calls, fetchImpl } = scripted((route) => {
      if (route === 'optim_step') {
        submits++;
        return submits === 1 ? { status: 429, body: {}, headers: { 'retry-after': '0.02' } } : { status: 200, body: { request_id: `r${submits}` } };
      }
      return submits === 2 ? { status: 410, body: {} } : { status: 200, body: { metrics: { 'grad_norm:mean': 1 } } };
    });
    const body = { adam_params: {}, model_id: 'm', seq_id: 7 };
    const result = await client(fetchImpl, events).submit('optim_step', body, { decode: (u: unknown) => E.right(u) } as never);
    expect(E.isRight(result)).toBe(true);
    expect(events.find((e) => e.reason === 'HTTP 429')?.delayMs).toBe(20);
    const sent = calls.filter((c) => c.route === 'optim_step').map((c) => c.body);
    expect(sent).toEqual([body, body, body]);
  });

  it('returns a failed request as a value, never retried, and a non-retryable status as an error naming it', async () => {
    const failed = scripted((route) => (route === 'forward' ? { status: 200, body: { request_id: 'r' } } : { status: 200, body: { error: 'not-finite: bad', category: 'user' } }));
    const result = await client(failed.fetchImpl).submit('forward', {}, CreateModelResponse);
    expect(E.isLeft(result) && [result.left.kind, result.left.category, result.left.detail]).toEqual(['failed', 'user', 'not-finite: bad']);
    expect(failed.calls).toHaveLength(2);
    const denied = scripted(() => ({ status: 401, body: { detail: 'no key' } }));
    const refused = await client(denied.fetchImpl).call('get_info', {}, CreateModelResponse);
    expect(E.isLeft(refused) && [refused.left.kind, refused.left.status]).toEqual(['http', 401]);
  });

  it('sends the API key in X-API-Key only', async () => {
    let headers: RequestInit["headers"];
    const fetchImpl = (async (_input: string | URL | Request, init?: RequestInit) => {
      headers = init?.headers;
      return new Response('{"status":"ok"}', { status: 200 });
    }) as typeof fetch;
    await new TinkerClient({ url: 'http://127.0.0.1:1', apiKey: 'tml-secret', fetch: fetchImpl }).call('healthz', undefined, { decode: (u: unknown) => E.right(u) } as never, 'GET');
    expect(headers).toMatchObject({ 'x-api-key': 'tml-secret' });
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates; anything else is undefined', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000 }), (s) => retryAfterMs(String(s)) === s * 1000));
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect([retryAfterMs(null), retryAfterMs(''), retryAfterMs('soon')]).toEqual([undefined, undefined, undefined]);
  });
});

describe('wireErrors', () => {
  it('names the JSON path of the failing field, without io-ts member indices', () => {
    const decoded = OptimStepRequest.decode({ adam_params: { learning_rate: 'fast' }, model_id: 3 });
    expect(E.isLeft(decoded) && wireErrors(decoded.left).map((line) => line.split(':')[0])).toEqual(['adam_params.learning_rate', 'model_id']);
  });
});
