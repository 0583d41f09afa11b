import * as v from "valibot";
import { type Action, awsOptions, type Check, defineCommand, mapLimit, perRun, remoteFailure, type RunContext, type Skipped, tagSelector } from "../../../src/sdk/index.ts";
import { type Instance, type InstancesPort, instancesProvider } from "./instances.ts";
import { describeNow, insideWindow, parseSchedule } from "./schedule.ts";

// A team command, compiled into a team binary (scripts/build.ts --commands examples/commands
// --name NAME): running EC2 instances whose schedule tag says they should be off now are
// stopped. Everything it owns is in this folder; the pipeline gives it dry run, saved
// plans, locks, audit, exit codes and JSON output.

const Section = v.strictObject({
  scheduleTag: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Tag key holding the schedule, e.g. Mon-Fri 08:00-18:00 (UTC)"))),
  environmentTag: v.optional(v.pipe(v.string(), v.minLength(1), v.description("Tag key that holds the environment name"))),
  protectTag: v.optional(v.pipe(tagSelector, v.description("Instances with this tag are never stopped"))),
});

const DEFAULTS = { scheduleTag: "opsctl:schedule", environmentTag: "Environment", protectTag: "opsctl:protect=true" };

const client = perRun((ctx: RunContext): Promise<InstancesPort> => ctx.provider(instancesProvider, awsOptions(ctx)));

const stopIdleInstances = defineCommand({
  name: "stop-idle-instances",
  description: "Stop running EC2 instances that are outside the window of their schedule tag",
  version: "1.0.0",
  config: { key: "stopIdleInstances", schema: Section, defaults: DEFAULTS },
  flags: [
    {
      name: "schedule-tag",
      kind: "string",
      configKey: "stopIdleInstances.scheduleTag",
      valueName: "KEY",
      description: "Tag key holding the schedule (default opsctl:schedule)",
    },
  ],
  providers: [instancesProvider],
  permissions: ["ec2:DescribeInstances", "ec2:StopInstances"],

  parameters: (ctx) => ({ scheduleTag: ctx.section.scheduleTag, environmentTag: ctx.section.environmentTag, protectTag: ctx.section.protectTag }),

  async plan(ctx) {
    const s = ctx.section;
    let found: Instance[];
    try {
      found = await (await client(ctx)).listScheduled(s.scheduleTag, { [s.environmentTag]: ctx.scope.environment });
    } catch (e) {
      throw remoteFailure("EC2", ctx.config.aws.endpoint, e);
    }
    const now = ctx.deps.now();
    const [pk, pv] = splitTag(s.protectTag);
    const actions: Action[] = [];
    const skipped: Skipped[] = [];
    for (const i of found) {
      const text = i.tags[s.scheduleTag] ?? "";
      const resource = { type: "aws.ec2.instance", id: i.id, ...(i.tags.Name ? { name: i.tags.Name } : {}), attributes: { state: i.state, type: i.type, schedule: text } };
      const schedule = parseSchedule(text);
      if (i.tags[pk] === pv) skipped.push({ resource, reason: `protected: tag ${s.protectTag}`, category: "protected" });
      else if ("error" in schedule) skipped.push({ resource, reason: `schedule tag unreadable: ${schedule.error}`, category: "not-eligible" });
      else if (insideWindow(schedule, now)) skipped.push({ resource, reason: `inside its window ${schedule.text} (now ${describeNow(now)})`, category: "not-eligible" });
      else actions.push(stopAction(i, s.scheduleTag, schedule.text, describeNow(now), ctx.scope.environment, s.environmentTag));
    }
    return { actions, skipped };
  },

  async validate(plan, ctx) {
    const ec2 = await client(ctx);
    const actions: Record<string, Check[]> = {};
    try {
      await mapLimit(plan.actions, 4, async (a) => {
        const verdict = await ec2.checkStop(a.resource.id);
        actions[a.id] = [
          {
            name: "ec2:StopInstances DryRun",
            status: verdict.ok ? "passed" : "failed",
            detail: verdict.ok ? "DryRunOperation: the call would succeed" : `${verdict.code}: ${a.resource.id}: ${verdict.message}`,
          },
        ];
      });
    } catch (e) {
      throw remoteFailure("EC2", ctx.config.aws.endpoint, e);
    }
    return { actions };
  },

  async live(action, ctx) {
    const i = await (await client(ctx)).get(action.resource.id);
    return i ? { state: i.state, schedule: i.tags[ctx.section.scheduleTag] ?? null } : undefined;
  },

  apply: {
    stop: async (action, ctx) => ({ status: "applied", detail: `now ${await (await client(ctx)).stop(action.resource.id)}` }),
  },
});

export default stopIdleInstances;

function stopAction(i: Instance, scheduleTag: string, schedule: string, now: string, environment: string, environmentTag: string): Action {
  return {
    id: `stop:${i.id}`,
    resource: { type: "aws.ec2.instance", id: i.id, ...(i.tags.Name ? { name: i.tags.Name } : {}), attributes: { state: i.state, type: i.type, schedule } },
    operation: "stop",
    reason: {
      summary: `running outside its window ${schedule} (now ${now}); tag ${environmentTag}=${environment}`,
      evidence: { state: i.state, schedule, scheduleTag, evaluatedAt: now },
    },
    call: { service: "ec2", operation: "StopInstances", parameters: { InstanceIds: [i.id] } },
    checks: [],
    preconditions: [
      { description: "still running", attribute: "state", expected: "running", test: "equals" },
      { description: "schedule unchanged since the plan", attribute: "schedule", expected: schedule, test: "equals" },
    ],
  };
}

function splitTag(selector: string): [string, string] {
  const at = selector.indexOf("=");
  return [selector.slice(0, at), selector.slice(at + 1)];
}
