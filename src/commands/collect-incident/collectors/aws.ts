import { awsErrorInfo, DENIED_CODES } from "../../../providers/aws/errors.ts";
import type { AwsEvidencePort, LogGroupInfo, Page } from "../../../providers/aws/evidence.ts";
import type { Collector, PlannedRead, ProbeResult, ReadFailure, Sink } from "../collect.ts";
import { inWindow, type Window } from "../window.ts";

export interface AwsCollectorOptions {
  port: AwsEvidencePort;
  window: Window;
  service: string;
  /** Tags that mark the service's resources, values with {service} already substituted. */
  tags: Record<string, string>;
  /** Log group name patterns ({service} substituted; * and ? are wildcards). */
  logGroups: string[];
  region: string;
}

const EC2_PAGE = 200;
const LOG_PAGE = 1000;
const ACTIVITY_PAGE = 100;
// Rough sizes for the plan's estimate; a Describe item is a few KiB of JSON.
const INSTANCE_BYTES = 6000;
const VOLUME_BYTES = 800;

/** "auth" means denied (a permission verdict); rejected credentials are a remote failure, as everywhere (exit 4). */
export function classifyAws(e: unknown): Omit<ReadFailure, "read"> {
  const i = awsErrorInfo(e);
  const cls = i.class === "auth" && !DENIED_CODES.has(i.code) ? "remote" : i.class;
  return { class: cls, code: i.code, message: i.message.split("\n")[0] ?? i.code };
}

export function createAwsCollector(o: AwsCollectorOptions): Collector {
  let groups: LogGroupInfo[] | undefined;
  const tagText = Object.entries(o.tags)
    .map(([k, v]) => `tag:${k}=${v}`)
    .join(",");
  const matchGroups = async (): Promise<LogGroupInfo[]> => {
    if (groups) return groups;
    const found = new Map<string, LogGroupInfo>();
    for (const pattern of o.logGroups) {
      const prefix = pattern.split(/[*?]/)[0] ?? "";
      const re = globToRegExp(pattern);
      let next: string | undefined;
      do {
        const p: Page<LogGroupInfo> = await o.port.logGroups(prefix, next);
        for (const g of p.items) if (re.test(g.name)) found.set(g.name, g);
        next = p.next;
      } while (next);
    }
    groups = [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
    return groups;
  };
  const win = `${o.window.since.toISOString()}..${o.window.until.toISOString()}`;

  return {
    name: "aws",
    async plan() {
      const [inst, vols] = await Promise.all([o.port.instances(o.tags), o.port.volumes(o.tags)]);
      const reads: PlannedRead[] = [
        read("ec2-instances", `ec2 DescribeInstances Filters=${tagText}`, o.region, "snapshot", inst.items.length * INSTANCE_BYTES),
        read("ec2-volumes", `ec2 DescribeVolumes Filters=${tagText}`, o.region, "snapshot", vols.items.length * VOLUME_BYTES),
        read(
          "autoscaling",
          `autoscaling DescribeAutoScalingGroups Filters=${tagText}; DescribeScalingActivities per group, ${win}`,
          o.region,
          "window",
          20_000,
        ),
      ];
      for (const g of await matchGroups()) {
        reads.push(read(`logs:${g.name}`, `logs FilterLogEvents startTime..endTime=${win}`, g.name, "window", g.storedBytes));
      }
      return reads;
    },
    async probe() {
      const out: ProbeResult[] = [];
      const probe = async (name: string, fn: () => Promise<unknown>) => {
        try {
          await fn();
          out.push({ collector: "aws", name, status: "passed", detail: "allowed" });
        } catch (e) {
          const i = awsErrorInfo(e);
          // Denied is a failed check (exit 3); unreachable or bad credentials stay remote failures (exit 4).
          if (!DENIED_CODES.has(i.code)) throw e;
          out.push({ collector: "aws", name, status: "failed", detail: `${i.code}: ${i.message.split("\n")[0]}` });
        }
      };
      const start = o.window.since.getTime();
      const end = o.window.until.getTime();
      await probe("ec2:DescribeInstances (5 items)", () => o.port.instances(o.tags, undefined, 5));
      await probe("ec2:DescribeVolumes (5 items)", () => o.port.volumes(o.tags, undefined, 5));
      await probe("autoscaling:DescribeAutoScalingGroups", () => o.port.autoScalingGroups(o.tags));
      const gs = await matchGroups();
      if (gs[0]) await probe(`logs:FilterLogEvents ${gs[0].name} (1 event in the window)`, () => o.port.logEvents(gs[0]?.name ?? "", start, end, undefined, 1));
      return out;
    },
    async identity() {
      return (await o.port.callerIdentity()).arn;
    },
    async collect(sink) {
      await describeAll(sink, "aws/ec2-instances.jsonl", "ec2 DescribeInstances", (next) => o.port.instances(o.tags, next, EC2_PAGE));
      await describeAll(sink, "aws/ec2-volumes.jsonl", "ec2 DescribeVolumes", (next) => o.port.volumes(o.tags, next, EC2_PAGE));
      await activities(sink, o);
      let gs: LogGroupInfo[] = [];
      try {
        gs = await matchGroups();
      } catch (e) {
        sink.fail("logs DescribeLogGroups", e, classifyAws);
      }
      for (let i = 0; i < gs.length; i++) {
        // Each group gets an equal part of what is left, so the first noisy group cannot take it all.
        await logGroup(sink, gs[i] as LogGroupInfo, Math.floor(sink.remaining / (gs.length - i)), o.port);
      }
    },
  };
}

function read(id: string, call: string, target: string, bound: PlannedRead["bound"], estimatedBytes: number): PlannedRead {
  return { id: `aws:${id}`, collector: "aws", call, target, bound, estimatedBytes };
}

async function describeAll(sink: Sink, path: string, source: string, page: (next?: string) => Promise<Page<unknown>>): Promise<void> {
  const items: unknown[] = [];
  const ids: string[] = [];
  let next: string | undefined;
  try {
    do {
      sink.checkAborted();
      const p = await page(next);
      items.push(...p.items);
      if (p.requestId) ids.push(p.requestId);
      next = p.next;
    } while (next);
  } catch (e) {
    sink.fail(source, e, classifyAws);
    return;
  }
  await sink.jsonl(path, source, items, { requestIds: ids });
}

async function activities(sink: Sink, o: AwsCollectorOptions): Promise<void> {
  const groups: Record<string, unknown>[] = [];
  const ids: string[] = [];
  try {
    let next: string | undefined;
    do {
      const p = await o.port.autoScalingGroups(o.tags, next);
      groups.push(...(p.items as Record<string, unknown>[]));
      if (p.requestId) ids.push(p.requestId);
      next = p.next;
    } while (next);
  } catch (e) {
    sink.fail("autoscaling DescribeAutoScalingGroups", e, classifyAws);
    return;
  }
  await sink.jsonl("aws/autoscaling-groups.jsonl", "autoscaling DescribeAutoScalingGroups", groups, { requestIds: ids });
  for (const g of groups) {
    const name = String(g.AutoScalingGroupName ?? "");
    const source = `autoscaling DescribeScalingActivities AutoScalingGroupName=${name}`;
    try {
      const { items, requestIds } = await activitiesInWindow(sink.window, (next) => o.port.scalingActivities(name, next, ACTIVITY_PAGE));
      await sink.jsonl(`aws/autoscaling-activities/${name}.jsonl`, source, items, { requestIds });
    } catch (e) {
      sink.fail(source, e, classifyAws);
    }
  }
}

/**
 * The API has no time filter and answers newest first: page until an activity starts
 * before the window, keep those that overlap it.
 */
export async function activitiesInWindow(
  w: Window,
  page: (next?: string) => Promise<Page<unknown>>,
): Promise<{ items: Record<string, unknown>[]; requestIds: string[] }> {
  const items: Record<string, unknown>[] = [];
  const requestIds: string[] = [];
  let next: string | undefined;
  let older = false;
  do {
    const p = await page(next);
    if (p.requestId) requestIds.push(p.requestId);
    for (const a of p.items as Record<string, unknown>[]) {
      const start = toDate(a.StartTime);
      const end = toDate(a.EndTime) ?? w.until;
      if (start && start.getTime() > w.until.getTime()) continue;
      if (end.getTime() < w.since.getTime()) {
        older = true;
        continue;
      }
      items.push(a);
    }
    next = p.next;
  } while (next && !older);
  return { items, requestIds };
}

async function logGroup(sink: Sink, g: LogGroupInfo, limit: number, port: AwsEvidencePort): Promise<void> {
  const source = `logs FilterLogEvents logGroupName=${g.name}`;
  const start = sink.window.since.getTime();
  const end = sink.window.until.getTime();
  const lines: string[] = [];
  const ids: string[] = [];
  let bytes = 0;
  let next: string | undefined;
  let cut: string | undefined;
  try {
    do {
      sink.checkAborted();
      const p = await port.logEvents(g.name, start, end, next, LOG_PAGE);
      if (p.requestId) ids.push(p.requestId);
      for (const e of p.items) {
        if (!inWindow(sink.window, e.timestamp)) continue;
        const line = `${new Date(e.timestamp).toISOString()} ${e.logStreamName ?? "-"} ${e.message.replace(/\n+$/, "")}\n`;
        bytes += Buffer.byteLength(line);
        if (bytes > limit) {
          cut = `${sink.shareText()}: this log group's part (${limit} bytes) reached at ${new Date(e.timestamp).toISOString()}; later events not read`;
          break;
        }
        lines.push(line);
      }
      next = p.next;
    } while (next && !cut);
  } catch (e) {
    sink.fail(source, e, classifyAws);
    if (!lines.length) return;
    cut = `reading stopped by an error after ${lines.length} events`;
  }
  await sink.text(`aws/logs/${g.name.replace(/^\/+/, "")}.log`, source, lines.join(""), { requestIds: ids, ...(cut ? { truncated: cut } : {}) });
}

export function globToRegExp(glob: string): RegExp {
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`);
}

function toDate(v: unknown): Date | undefined {
  if (v instanceof Date) return v;
  if (typeof v === "string" || typeof v === "number") {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}
