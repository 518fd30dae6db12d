/**
 * Test support: an HTTP proxy on 127.0.0.1 that forwards to a Tinker-API server and injects
 * faults on a seeded schedule — before forwarding (500, 503, 429 with Retry-After, 408, 410, a
 * dropped connection, a stall past the client's timeout) and after (the server applied the
 * request, the reply is replaced by a 500 or the connection is dropped, so the client must
 * retry a request the server already has: what de-duplication on (model_id, seq_id) is for).
 * Its loop is bounded: `maxFaults` faults at most, and none twice in a row.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Rng } from '@rlflow/core';

export const FAULTS = ['500', '503', '429', '408', '410', 'drop', 'stall', 'applied-500', 'applied-drop'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultProxyOptions {
  readonly target: string;
  readonly seed: number;
  /** Probability that a request gets a fault. */
  readonly rate: number;
  readonly maxFaults: number;
  /** How long a stalled request is held before its connection is dropped (longer than the client's timeout). */
  readonly stallMs: number;
  /** Seconds in the Retry-After of a 429. */
  readonly retryAfterSeconds: number;
  /** Rewrites a JSON reply of the server (a stand-in for a server with other semantics). */
  readonly rewrite?: (route: string, body: unknown) => unknown;
}

export class FaultProxy {
  readonly injected = new Map<Fault, number>();
  private readonly rng: Rng;
  private server: Server | undefined;
  private faults = 0;
  private lastFaulted = false;
  private readonly held = new Set<ServerResponse>();
  private readonly cycle: Fault[];

  constructor(private readonly options: FaultProxyOptions) {
    this.rng = Rng.fromSeed(options.seed);
    const order = FAULTS.map((fault) => ({ fault, key: this.rng.next() }));
    this.cycle = order.sort((a, b) => a.key - b.key).map((entry) => entry.fault);
  }

  async listen(): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Every `1/rate`-th request or so (seeded) gets the next fault of a seeded cycle through every
   * kind, so a run of enough requests meets each kind; 408 and 410 wait for a retrieve_future
   * (what answers them in the protocol).
   */
  private pick(route: string): Fault | undefined {
    const u = this.rng.next();
    if (this.lastFaulted || this.faults >= this.options.maxFaults || u >= this.options.rate) {
      this.lastFaulted = false;
      return undefined;
    }
    const fault = this.cycle[this.faults % this.cycle.length]!;
    if ((fault === '408' || fault === '410') && route !== 'retrieve_future') return undefined;
    this.faults++;
    this.lastFaulted = true;
    this.injected.set(fault, (this.injected.get(fault) ?? 0) + 1);
    return fault;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const route = (req.url ?? '').replace(/^\/api\/v1\//, '');
      const fault = this.pick(route);
      const reply = (status: number, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify({ detail: `injected ${status}` }));
      };
      switch (fault) {
        case '500':
        case '503':
        case '408':
        case '410':
          return reply(Number(fault));
        case '429':
          return reply(429, { 'retry-after': String(this.options.retryAfterSeconds) });
        case 'drop':
          return void req.socket.destroy();
        case 'stall':
          this.held.add(res);
          setTimeout(() => {
            this.held.delete(res);
            res.destroy();
          }, this.options.stallMs).unref();
          return;
        default:
          return this.forward(req, body, res, fault);
      }
    });
  }

  private forward(req: IncomingMessage, body: Buffer, res: ServerResponse, fault: Fault | undefined): void {
    const route = (req.url ?? '').replace(/^\/api\/v1\//, '');
    const target = new URL(req.url ?? '/', this.options.target);
    const upstream = httpRequest(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host, 'content-length': String(body.length) } },
      (reply) => {
        const parts: Buffer[] = [];
        reply.on('data', (chunk: Buffer) => parts.push(chunk));
        reply.on('end', () => {
          if (fault === 'applied-drop') return void res.destroy();
          if (fault === 'applied-500') {
            res.writeHead(500, { 'content-type': 'application/json' });
            return void res.end('{"detail":"injected 500 after the server answered"}');
          }
          let payload = Buffer.concat(parts);
          const rewrite = this.options.rewrite;
          if (rewrite !== undefined && reply.statusCode === 200) payload = Buffer.from(JSON.stringify(rewrite(route, JSON.parse(payload.toString('utf8')) as unknown)));
          const { 'transfer-encoding': _chunked, ...rest } = reply.headers;
          const headers = { ...rest, 'content-length': String(payload.length) };
          res.writeHead(reply.statusCode ?? 502, headers);
          res.end(payload);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  }
}
