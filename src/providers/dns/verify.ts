import { isIP } from "node:net";
import { quote, sortValues } from "./rdata.ts";

// Verification over real DNS: ask the zone's authoritative server (UDP, falling back to
// TCP for truncated answers, as the resolver does) until every changed record set answers
// its new values, or is gone, or the timeout passes. node:dns's Resolver with setServers
// was measured to work the same under Bun, Deno and the compiled binary (A, AAAA, CNAME,
// TXT, MX, SRV, CAA, NS against PowerDNS), so no DNS packet library is needed.

export interface Expectation {
  name: string;
  type: string;
  /** Canonical values; empty means the record set must be gone. */
  values: string[];
}

export interface Unconverged extends Expectation {
  got: string[] | string;
}

export interface VerifyOptions {
  /** "IP" or "IP:port" ("[v6]:port"). */
  servers: string[];
  timeoutMs: number;
  pollMs?: number;
  /** Per-query timeout. */
  queryTimeoutMs?: number;
}

export function parseServer(s: string): string | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m || !isIP(m[1] as string)) return undefined;
  const port = m[2] ? Number(m[2]) : 53;
  if (!(port > 0 && port < 65536)) return undefined;
  return isIP(m[1] as string) === 6 ? `[${m[1]}]:${port}` : `${m[1]}:${port}`;
}

export async function verifyOverDns(expect: Expectation[], o: VerifyOptions): Promise<{ pending: Unconverged[]; elapsedMs: number }> {
  const { Resolver } = await import("node:dns/promises");
  const resolver = new Resolver({ timeout: o.queryTimeoutMs ?? 2000, tries: 2 });
  resolver.setServers(o.servers);
  const started = Date.now();
  let pending: Unconverged[] = expect.map((e) => ({ ...e, got: "not asked yet" }));
  for (;;) {
    const next: Unconverged[] = [];
    for (const e of pending) {
      const got = await answer(resolver, e.name, e.type);
      if (Array.isArray(got) && got.join("\n") === sortValues(e.values).join("\n")) continue;
      next.push({ ...e, got });
    }
    pending = next;
    if (!pending.length || Date.now() - started >= o.timeoutMs) return { pending, elapsedMs: Date.now() - started };
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
}

type R = InstanceType<typeof import("node:dns/promises")["Resolver"]>;

/** The answer in canonical form ([] when the name or type has no data), or the error as text. */
async function answer(r: R, name: string, type: string): Promise<string[] | string> {
  const host = name.replace(/\.$/, "");
  const dot = (n: string) => `${n.replace(/\.$/, "").toLowerCase()}.`;
  try {
    switch (type) {
      case "A":
        return sortValues(await r.resolve4(host));
      case "AAAA":
        return sortValues(await r.resolve6(host));
      case "CNAME":
        return sortValues((await r.resolveCname(host)).map(dot));
      case "NS":
        return sortValues((await r.resolveNs(host)).map(dot));
      case "TXT":
        return sortValues((await r.resolveTxt(host)).map((chunks) => chunks.map(quote).join(" ")));
      case "MX":
        return sortValues((await r.resolveMx(host)).map((m) => `${m.priority} ${dot(m.exchange)}`));
      case "SRV":
        return sortValues((await r.resolveSrv(host)).map((s) => `${s.priority} ${s.weight} ${s.port} ${s.name === "" || s.name === "." ? "." : dot(s.name)}`));
      case "CAA":
        return sortValues(
          (await r.resolveCaa(host)).map((c) => {
            const { critical, ...rest } = c as unknown as Record<string, string | number>;
            const [tag, value] = Object.entries(rest)[0] ?? ["?", ""];
            return `${critical} ${tag} ${quote(String(value))}`;
          }),
        );
      default:
        return `type ${type} is not verified over DNS`;
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOTFOUND" || code === "ENODATA") return [];
    return `${code ?? "error"}: ${(e as Error).message}`;
  }
}
