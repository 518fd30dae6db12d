/**
 * A local OpenAI-compatible chat-completions server for tests: node:http on 127.0.0.1 and a free
 * port, answering `POST …/chat/completions` with whatever the test's `respond` function scripts,
 * including the faults a real deployment produces: 5xx, 429 with Retry-After, a reply that never
 * comes (hang), headers and half a body and then nothing (stall), invalid JSON, valid JSON of the
 * wrong shape, and a socket destroyed before or in the middle of the reply. Every request is recorded so tests can count what was asked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeReply =
  | { readonly kind: 'ok'; readonly content: string | null; readonly delayMs?: number; readonly model?: string }
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string; readonly body?: string }
  | { readonly kind: 'hang' }
  | { readonly kind: 'malformed-json' }
  | { readonly kind: 'wrong-shape'; readonly body: unknown }
  | { readonly kind: 'drop' }
  | { readonly kind: 'drop-mid-body' }
  | { readonly kind: 'stall-mid-body' };

export interface FakeRequest {
  /** 0-based arrival order. */
  readonly index: number;
  readonly path: string;
  readonly authorization: string | undefined;
  /** The decoded JSON body (null when it did not parse). */
  readonly body: unknown;
  readonly model: string | undefined;
  /** The text parts of the last user message, joined by newlines. */
  readonly text: string;
  /** The image URLs of the last user message, in order. */
  readonly imageUrls: readonly string[];
  /** How many earlier requests carried the same `text`. */
  readonly priorSameText: number;
}

export interface FakeServer {
  /** Base URL ending in `/v1`. */
  readonly url: string;
  readonly requests: readonly FakeRequest[];
  /** Number of `ok` replies whose last byte was written. */
  readonly okReplies: () => number;
  readonly close: () => Promise<void>;
}

export interface FakeServerOptions {
  readonly respond: (request: FakeRequest) => FakeReply;
  /** Called after each `ok` reply has been written in full. */
  readonly onOkReply?: (request: FakeRequest) => void;
}

const completionBody = (content: string | null, model: string): string =>
  JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  });

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

interface Part {
  readonly type?: unknown;
  readonly text?: unknown;
  readonly image_url?: { readonly url?: unknown };
}

const lastUserContent = (body: unknown): { text: string; imageUrls: string[] } => {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return { text: '', imageUrls: [] };
  const user = [...messages].reverse().find((m: { role?: unknown }) => m?.role === 'user') as { content?: unknown } | undefined;
  const content = user?.content;
  if (typeof content === 'string') return { text: content, imageUrls: [] };
  if (!Array.isArray(content)) return { text: '', imageUrls: [] };
  const parts = content as Part[];
  return {
    text: parts.flatMap((p) => (p.type === 'text' && typeof p.text === 'string' ? [p.text] : [])).join('\n'),
    imageUrls: parts.flatMap((p) => (p.type === 'image_url' && typeof p.image_url?.url === 'string' ? [p.image_url.url] : [])),
  };
};

export const startFakeOpenAIServer = async (options: FakeServerOptions): Promise<FakeServer> => {
  const requests: FakeRequest[] = [];
  const seen = new Map<string, number>();
  let ok = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    if (req.method !== 'POST' || !(req.url ?? '').endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    let body: unknown = null;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      body = null;
    }
    const { text, imageUrls } = lastUserContent(body);
    const priorSameText = seen.get(text) ?? 0;
    seen.set(text, priorSameText + 1);
    const model = (body as { model?: unknown } | null)?.model;
    const request: FakeRequest = {
      index: requests.length,
      path: req.url ?? '',
      authorization: req.headers.authorization,
      body,
      model: typeof model === 'string' ? model : undefined,
      text,
      imageUrls,
      priorSameText,
    };
    requests.push(request);
    const reply = options.respond(request);
    switch (reply.kind) {
      case 'ok': {
        if (reply.delayMs !== undefined) await new Promise((r) => setTimeout(r, reply.delayMs));
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(completionBody(reply.content, reply.model ?? request.model ?? 'fake'), () => {
          ok += 1;
          options.onOkReply?.(request);
        });
        return;
      }
      case 'status': {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
        res.writeHead(reply.status, headers).end(reply.body ?? JSON.stringify({ error: { message: `fake status ${reply.status}` } }));
        return;
      }
      case 'hang':
        return;
      case 'malformed-json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [{"message": {"content": "tru');
        return;
      case 'wrong-shape':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
        return;
      case 'drop':
        req.socket.destroy();
        return;
      case 'stall-mid-body': {
        const full = completionBody('never finished', 'fake');
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
        res.write(full.slice(0, 20));
        return;
      }
      case 'drop-mid-body': {
        const full = completionBody('never finished', 'fake');
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
        res.write(full.slice(0, 20), () => setTimeout(() => req.socket.destroy(), 5));
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    okReplies: () => ok,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
