import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A fault-injecting HTTP proxy between opsctl and a real server (moto, or the
 * Kubernetes API server over HTTPS with `upstreamTls`): it forwards
 * every request, except that chosen AWS operations can be delayed, answered with an
 * error, performed with the answer lost, have their TCP connection reset, or make the
 * endpoint stop listening (connection refused from then on), for chosen call counts.
 * It records every operation it saw.
 *
 * Clients connect to a plain TCP front (node:net) that pipes each connection to the
 * HTTP handler (Bun.serve); the handler finds the client's socket by the front's
 * port, which is what lets it reset a real connection mid-request.
 */
export type Fault =
  | { kind: "error"; status: number; code: string; message?: string }
  /**
   * Held this long, then forwarded even if the client has gone (as at a real endpoint, the call
   * lands); with dropIfAbandoned, a call whose client gave up during the delay is never forwarded.
   */
  | { kind: "delay"; ms: number; dropIfAbandoned?: boolean }
  /** The call reaches the server and takes effect, but the client gets this error instead of the answer. */
  | { kind: "lose-response"; status: number; code: string }
  /** The client's TCP connection is reset (RST) before anything is forwarded. */
  | { kind: "reset" }
  /** The endpoint goes away: this connection is reset and every later connection is refused. */
  | { kind: "refuse" };

export interface Rule {
  /**
   * AWS operation name, e.g. DeleteVolume; matched against the query API's Action. "*" matches every operation.
   * Requests without one (the Kubernetes API) are named "METHOD /path", e.g. "PATCH /apis/apps/v1/namespaces/ns/deployments/web".
   */
  operation: string;
  /** Only when the request body contains this text (e.g. a volume id). */
  contains?: string;
  /** EC2 DryRun=true (or Kubernetes dryRun=All) calls are left alone unless this is set: faults usually target the real call. "any" matches both. */
  dryRun?: boolean | "any";
  /** Which matching calls get the fault: from the `after`-th (0-based), `times` of them (default: all). */
  after?: number;
  times?: number;
  fault: Fault;
}

export interface Seen {
  operation: string;
  /** The query string, e.g. "?fieldManager=opsctl&dryRun=All". */
  search: string;
  body: string;
  dryRun: boolean;
  faulted: boolean;
  /** Kind of the fault injected, if any. */
  fault?: Fault["kind"];
  /** performance.now() when the request arrived. */
  at: number;
}

export class FaultProxy {
  readonly seen: Seen[] = [];
  private server?: ReturnType<typeof Bun.serve>;
  private front?: Server;
  private frontPort = 0;
  /** Client sockets by the local port of their pipe into the HTTP handler. */
  private readonly pipes = new Map<number, { client: Socket; upstream: Socket }>();
  private counts = new Map<Rule, number>();
  private refusing = false;
  rules: Rule[] = [];
  /** Runs before a request is forwarded: lets a test change the world mid-apply. "drop" = never forward it. */
  beforeForward?: (operation: string, body: string, dryRun: boolean) => Promise<"drop" | undefined> | "drop" | undefined;
  private inflight = 0;

  constructor(
    private readonly target: string,
    private readonly o: {
      /** The upstream is HTTPS with this CA (the client talks plain HTTP to the proxy; its Authorization header is forwarded). */
      upstreamTls?: { ca: string };
      /** Error bodies as AWS XML (default) or as a Kubernetes Status object. */
      errors?: "aws" | "kube";
    } = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.frontPort}`;
  }

  /** Whether a refuse fault has closed the listener. */
  get refused(): boolean {
    return this.refusing;
  }

  async start(): Promise<this> {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: (req, server) => this.handle(req, server) });
    const httpPort = this.server.port as number;
    this.front = createServer((client) => {
      const upstream = createConnection({ host: "127.0.0.1", port: httpPort });
      upstream.on("connect", () => this.pipes.set(upstream.localPort as number, { client, upstream }));
      const drop = () => {
        if (upstream.localPort) this.pipes.delete(upstream.localPort);
        client.destroy();
        upstream.destroy();
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.front?.listen(0, "127.0.0.1", resolve));
    this.frontPort = (this.front.address() as { port: number }).port;
    return this;
  }

  stop(): void {
    for (const { client, upstream } of this.pipes.values()) {
      client.destroy();
      upstream.destroy();
    }
    this.front?.close();
    this.server?.stop(true);
  }

  /** Resolves once every request the proxy accepted has reached the upstream (even if its client died). */
  async drained(): Promise<void> {
    while (this.inflight > 0) await Bun.sleep(20);
  }

  /** Waits until `n` real calls of an operation have reached the proxy (fails the test after 20 s). */
  async waitForCalls(operation: string, n: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (this.calls(operation) < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} ${operation} call(s); saw ${this.calls(operation)}`);
      await Bun.sleep(10);
    }
  }

  /** How many real (not DryRun) calls of an operation went through the proxy. */
  calls(operation: string, dryRun = false): number {
    return this.seen.filter((s) => s.operation === operation && s.dryRun === dryRun).length;
  }

  private async handle(req: Request, server: ReturnType<typeof Bun.serve>): Promise<Response> {
    this.inflight++;
    try {
      return await this.forward(req, server);
    } finally {
      this.inflight--;
    }
  }

  private async forward(req: Request, server: ReturnType<typeof Bun.serve>): Promise<Response> {
    const at = performance.now();
    const body = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    const url = new URL(req.url);
    const operation =
      new URLSearchParams(body).get("Action") ??
      url.searchParams.get("Action") ??
      req.headers.get("x-amz-target")?.split(".").pop() ??
      `${req.method} ${url.pathname}`;
    const isDryRun = /(^|&)DryRun=true(&|$)/.test(body) || url.searchParams.get("dryRun") === "All";
    const rule = this.rules.find(
      (r) =>
        (r.operation === "*" || r.operation === operation) &&
        (!r.contains || body.includes(r.contains)) &&
        (r.dryRun === "any" || (r.dryRun ?? false) === isDryRun) &&
        this.inWindow(r),
    );
    this.seen.push({
      operation,
      search: url.search,
      body,
      dryRun: isDryRun,
      faulted: Boolean(rule && rule.fault.kind !== "delay"),
      fault: rule?.fault.kind,
      at,
    });
    if (rule) {
      const f = rule.fault;
      if (f.kind === "error") return this.errorResponse(f.status, f.code, f.message ?? "injected by the fault proxy");
      if (f.kind === "lose-response") {
        await this.send(req, url, body);
        return this.errorResponse(f.status, f.code, "the answer was lost (injected by the fault proxy)");
      }
      if (f.kind === "reset" || f.kind === "refuse") {
        this.resetConnection(server.requestIP(req)?.port);
        if (f.kind === "refuse") this.refuse();
        // Never delivered: the connection is gone.
        return new Response(null, { status: 502 });
      }
      await Bun.sleep(f.ms);
      if (f.dropIfAbandoned && req.signal.aborted) return new Response(null, { status: 499 });
    }
    if ((await this.beforeForward?.(operation, body, isDryRun)) === "drop") throw new Error("dropped by the fault proxy");
    return this.send(req, url, body);
  }

  private async send(req: Request, url: URL, body: string): Promise<Response> {
    const headers = new Headers(req.headers);
    headers.delete("host");
    const upstream = await fetch(`${this.target}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: body || undefined,
      ...(this.o.upstreamTls ? { tls: { ca: this.o.upstreamTls.ca } } : {}),
    } as RequestInit);
    const out = new Headers(upstream.headers);
    // fetch already decoded the body: passing the encoding on would make the client decode it twice.
    out.delete("content-encoding");
    out.delete("content-length");
    return new Response(await upstream.arrayBuffer(), { status: upstream.status, headers: out });
  }

  private errorResponse(status: number, code: string, message: string): Response {
    if (this.o.errors !== "kube") return errorResponse(status, code, message);
    const st = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: code, code: status };
    return new Response(JSON.stringify(st), { status, headers: { "content-type": "application/json" } });
  }

  private resetConnection(port: number | undefined): void {
    const pipe = port === undefined ? undefined : this.pipes.get(port);
    if (!pipe) throw new Error(`fault proxy: no client connection for handler port ${port}`);
    this.pipes.delete(port as number);
    pipe.client.resetAndDestroy();
    pipe.upstream.destroy();
  }

  /** Stops listening and closes every open connection: kept-alive clients must reconnect, and are refused. */
  private refuse(): void {
    this.refusing = true;
    this.front?.close();
    for (const { client, upstream } of this.pipes.values()) {
      client.destroy();
      upstream.destroy();
    }
  }

  private inWindow(r: Rule): boolean {
    const n = this.counts.get(r) ?? 0;
    this.counts.set(r, n + 1);
    return n >= (r.after ?? 0) && (r.times === undefined || n < (r.after ?? 0) + r.times);
  }
}

function errorResponse(status: number, code: string, message: string): Response {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>`;
  return new Response(xml, { status, headers: { "content-type": "text/xml" } });
}
