/**
 * A fault-injecting HTTP proxy between opsctl and moto (a real server): it forwards
 * every request, except that chosen AWS operations can be delayed, answered with an
 * error, or performed with the answer lost, for chosen call counts. It records every
 * operation it saw.
 */
export type Fault =
  | { kind: "error"; status: number; code: string; message?: string }
  | { kind: "delay"; ms: number }
  /** The call reaches the server and takes effect, but the client gets this error instead of the answer. */
  | { kind: "lose-response"; status: number; code: string };

export interface Rule {
  /** AWS operation name, e.g. DeleteVolume; matched against the query API's Action. */
  operation: string;
  /** Only when the request body contains this text (e.g. a volume id). */
  contains?: string;
  /** EC2 DryRun=true calls are left alone unless this is set: faults usually target the real call. */
  dryRun?: boolean;
  /** Which matching calls get the fault: from the `after`-th (0-based), `times` of them (default: all). */
  after?: number;
  times?: number;
  fault: Fault;
}

export class FaultProxy {
  readonly seen: { operation: string; body: string; dryRun: boolean; faulted: boolean }[] = [];
  private server?: ReturnType<typeof Bun.serve>;
  private counts = new Map<Rule, number>();
  rules: Rule[] = [];
  /** Runs before a request is forwarded: lets a test change the world mid-apply. "drop" = never forward it. */
  beforeForward?: (operation: string, body: string, dryRun: boolean) => Promise<"drop" | undefined> | "drop" | undefined;
  private inflight = 0;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.server?.port}`;
  }

  start(): this {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => this.handle(req) });
    return this;
  }

  stop(): void {
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

  private async handle(req: Request): Promise<Response> {
    this.inflight++;
    try {
      return await this.forward(req);
    } finally {
      this.inflight--;
    }
  }

  private async forward(req: Request): Promise<Response> {
    const body = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    const url = new URL(req.url);
    const operation =
      new URLSearchParams(body).get("Action") ??
      url.searchParams.get("Action") ??
      req.headers.get("x-amz-target")?.split(".").pop() ??
      `${req.method} ${url.pathname}`;
    const isDryRun = /(^|&)DryRun=true(&|$)/.test(body);
    const rule = this.rules.find(
      (r) => r.operation === operation && (!r.contains || body.includes(r.contains)) && (r.dryRun ?? false) === isDryRun && this.inWindow(r),
    );
    this.seen.push({ operation, body, dryRun: isDryRun, faulted: Boolean(rule && rule.fault.kind !== "delay") });
    if (rule) {
      const f = rule.fault;
      if (f.kind === "error") return errorResponse(f.status, f.code, f.message ?? "injected by the fault proxy");
      if (f.kind === "lose-response") {
        await this.send(req, url, body);
        return errorResponse(f.status, f.code, "the answer was lost (injected by the fault proxy)");
      }
      await Bun.sleep(f.ms);
    }
    if ((await this.beforeForward?.(operation, body, isDryRun)) === "drop") throw new Error("dropped by the fault proxy");
    return this.send(req, url, body);
  }

  private async send(req: Request, url: URL, body: string): Promise<Response> {
    const headers = new Headers(req.headers);
    headers.delete("host");
    const upstream = await fetch(`${this.target}${url.pathname}${url.search}`, { method: req.method, headers, body: body || undefined });
    return new Response(await upstream.arrayBuffer(), { status: upstream.status, headers: upstream.headers });
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
