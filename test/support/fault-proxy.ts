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
  /** Kind of the fault injected, if any; "throttled" when an enforced bucket was empty. */
  fault?: Fault["kind"] | "throttled";
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
  /** AWS's token buckets, enforced per bucket key (see enforceBuckets). */
  private buckets?: Map<string, { tokens: number; last: number; spec: BucketSpec }>;
  /** Full DescribeVolumes answers being paged out, by the NextToken the proxy handed out. */
  private readonly pages = new Map<string, { head: string; items: string[]; tail: string }>();
  private pageSeq = 0;
  /**
   * Answer DescribeVolumes that asks for MaxResults in pages of at most this many (moto
   * ignores MaxResults and returns everything). EC2 may also return fewer than MaxResults.
   */
  pageDescribeVolumes: number | false = false;

  constructor(
    private readonly target: string,
    private readonly o: {
      /** The upstream is HTTPS with this CA (the client talks plain HTTP to the proxy; its Authorization header is forwarded). */
      upstreamTls?: { ca: string };
      /** Error bodies as AWS XML (default) or as a Kubernetes Status object. */
      errors?: "aws" | "kube";
    } = {},
  ) {}

  /**
   * Throttles like EC2 (a token bucket per API; RequestLimitExceeded, HTTP 503, when it is
   * empty; DryRun requests are charged like real ones). Default: AWS's published sizes for
   * the calls cleanup-volumes makes, written out here independently of opsctl's own table.
   */
  enforceBuckets(specs: Record<string, BucketSpec> = AWS_EC2_BUCKETS): this {
    const now = performance.now();
    this.buckets = new Map(Object.entries(specs).map(([k, spec]) => [k, { tokens: spec.capacity, last: now, spec }]));
    return this;
  }

  /** How many calls the enforced buckets answered with RequestLimitExceeded. */
  get throttled(): number {
    return this.seen.filter((s) => s.fault === "throttled").length;
  }

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
    const params = new URLSearchParams(body);
    if (!this.takeToken(operation, params)) {
      this.seen.push({ operation, search: url.search, body, dryRun: isDryRun, faulted: true, fault: "throttled", at });
      return errorResponse(503, "RequestLimitExceeded", "Request limit exceeded. (enforced by the fault proxy)");
    }
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
    if (this.pageDescribeVolumes && operation === "DescribeVolumes" && !isDryRun && (params.has("MaxResults") || params.has("NextToken"))) {
      return this.page(req, url, body, params, this.pageDescribeVolumes);
    }
    return this.send(req, url, body);
  }

  /** Charges one token to the call's bucket; false when it is empty (the call is throttled). */
  private takeToken(operation: string, params: URLSearchParams): boolean {
    if (!this.buckets) return true;
    const filteredOrPaged = [...params.keys()].some((k) => k.startsWith("Filter.") || k === "MaxResults" || k === "NextToken");
    const key = operation === "DescribeVolumes" && !filteredOrPaged ? "DescribeVolumes (unfiltered)" : operation;
    const b = this.buckets.get(key);
    if (!b) return true;
    const now = performance.now();
    b.tokens = Math.min(b.spec.capacity, b.tokens + ((now - b.last) / 1000) * b.spec.refillPerSecond);
    b.last = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /**
   * One page of a DescribeVolumes answer: the first request fetches every volume from moto
   * (which ignores MaxResults) and keeps the rest for the NextTokens it
   * hands out, as EC2 does. The same signed request is forwarded, so auth still applies.
   */
  private async page(req: Request, url: URL, body: string, params: URLSearchParams, cap: number): Promise<Response> {
    const size = Math.min(cap, Math.max(5, Number(params.get("MaxResults") ?? 1000)));
    const token = params.get("NextToken");
    let listing = token ? this.pages.get(token) : undefined;
    if (token && !listing) return errorResponse(400, "InvalidParameterValue", `unknown NextToken ${token} (fault proxy)`);
    if (token) this.pages.delete(token);
    let offset = token ? Number(token.split(":")[2]) : 0;
    if (!listing) {
      const upstream = await this.send(req, url, body);
      if (upstream.status !== 200) return upstream;
      listing = splitVolumeSet(await upstream.text());
      offset = 0;
    }
    const items = listing.items.slice(offset, offset + size);
    let next = "";
    if (offset + size < listing.items.length) {
      const t = `fault-proxy-page:${++this.pageSeq}:${offset + size}`;
      this.pages.set(t, listing);
      next = `<nextToken>${t}</nextToken>`;
    }
    const xml = `${listing.head}${items.join("")}${listing.tail.replace("</volumeSet>", `</volumeSet>${next}`)}`;
    return new Response(xml, { status: 200, headers: { "content-type": "text/xml" } });
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

export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

/**
 * From AWS's "Request throttling for the Amazon EC2 API" tables: DeleteVolume has its own
 * bucket; DescribeVolumes draws from the non-mutating bucket when filtered or paginated and
 * from the smaller "unfiltered and unpaginated" bucket otherwise.
 */
export const AWS_EC2_BUCKETS: Record<string, BucketSpec> = {
  DeleteVolume: { capacity: 100, refillPerSecond: 5 },
  DescribeVolumes: { capacity: 100, refillPerSecond: 20 },
  "DescribeVolumes (unfiltered)": { capacity: 50, refillPerSecond: 10 },
};

/** Splits a DescribeVolumes XML answer into what precedes the volumes, each top-level <item>, and the rest. */
export function splitVolumeSet(xml: string): { head: string; items: string[]; tail: string } {
  const open = xml.indexOf("<volumeSet>");
  if (open < 0) {
    // An empty set is written <volumeSet/>.
    const empty = xml.indexOf("<volumeSet/>");
    if (empty < 0) throw new Error("fault proxy: DescribeVolumes answer without a volumeSet");
    return { head: `${xml.slice(0, empty)}<volumeSet>`, items: [], tail: `</volumeSet>${xml.slice(empty + "<volumeSet/>".length)}` };
  }
  const start = open + "<volumeSet>".length;
  const close = xml.lastIndexOf("</volumeSet>");
  const items: string[] = [];
  // Items nest (tagSet and attachmentSet hold <item>s too): cut at depth 0.
  const re = /<item>|<\/item>/g;
  re.lastIndex = start;
  let depth = 0;
  let from = start;
  for (let m = re.exec(xml); m && m.index < close; m = re.exec(xml)) {
    if (m[0] === "<item>") {
      if (depth === 0) from = m.index;
      depth++;
    } else if (--depth === 0) items.push(xml.slice(from, m.index + "</item>".length));
  }
  return { head: xml.slice(0, start), items, tail: xml.slice(close) };
}

function errorResponse(status: number, code: string, message: string): Response {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>`;
  return new Response(xml, { status, headers: { "content-type": "text/xml" } });
}
