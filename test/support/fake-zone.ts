import { OpsError } from "../../src/core/errors.ts";
import { canonicalName, type RRset, rrsetKey } from "../../src/providers/dns/rdata.ts";
import { type LiveRRset, refuseMoved, type ZoneChange, type ZonePort } from "../../src/providers/dns/zone.ts";

/**
 * FAKE zone provider, in memory: for golden views (fixed content, no ports in the
 * plan) and for faults no real server produces on demand (one zone of two failing
 * its batch). Real behaviour is tested against PowerDNS and moto.
 */
export class FakeZone implements ZonePort {
  readonly provider: "route53" | "powerdns";
  readonly zone: string;
  private sets = new Map<string, LiveRRset>();
  readonly batches: ZoneChange[][] = [];
  failApply?: string;

  constructor(zone: string, sets: LiveRRset[], provider: "route53" | "powerdns" = "powerdns") {
    this.zone = canonicalName(zone);
    this.provider = provider;
    for (const s of sets) this.sets.set(rrsetKey(s), s);
  }

  async readZone(): Promise<LiveRRset[]> {
    return [...this.sets.values()];
  }

  async readRRset(name: string, type: string): Promise<LiveRRset | undefined> {
    return this.sets.get(rrsetKey({ name, type }));
  }

  call(c: ZoneChange) {
    return {
      service: "powerdns",
      operation: `PATCH /api/v1/servers/localhost/zones/${this.zone}`,
      parameters: { rrsets: [{ name: c.name, type: c.type, changetype: c.after ? "REPLACE" : "DELETE" }] },
    };
  }

  async apply(changes: ZoneChange[]): Promise<{ detail: string }> {
    if (this.failApply) throw new OpsError("remote", [{ message: this.failApply }]);
    refuseMoved(changes, (c) => this.sets.get(rrsetKey(c)));
    this.batches.push(changes);
    for (const c of changes) {
      if (c.after) this.sets.set(rrsetKey(c), c.after as RRset);
      else this.sets.delete(rrsetKey(c));
    }
    return { detail: `fake batch of ${changes.length}` };
  }

  dump(): string[] {
    return [...this.sets.values()].map((s) => `${s.name} ${s.type} ${s.ttl} ${s.values.join("|")}`).sort();
  }
}
