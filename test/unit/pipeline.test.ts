import { describe, expect, test } from "bun:test";
import { FakeEc2, volume } from "../support/fake-ec2.ts";
import { runInProcess } from "../support/inproc.ts";
import { tempRepo } from "../support/tmp.ts";

// The shared pipeline in-process, with the EC2 fake: paths that need a terminal or
// precise control of the provider. The same paths against moto are in test/e2e.

const setup = () => {
  const repo = tempRepo({ "opsctl.config.yaml": "region: us-east-1\n" });
  const env = { HOME: repo, XDG_CONFIG_HOME: `${repo}/.xdg`, XDG_STATE_HOME: `${repo}/.state`, USER: "tester" };
  const ec2 = new FakeEc2([volume("vol-1", { tags: { Environment: "prod" } }), volume("vol-2", { tags: { Environment: "prod" } })]);
  return { repo, env, ec2 };
};

describe("protected environments on a terminal", () => {
  test("typing the environment name confirms; the plan is shown before the question", async () => {
    const { repo, env, ec2 } = setup();
    const r = await runInProcess(["cleanup-volumes", "--environment", "prod"], {
      cwd: repo,
      env,
      stdinIsTTY: true,
      answer: "prod",
      providers: { ec2: async () => ec2 },
    });
    expect(r.code).toBe(0);
    const question = r.stderr.indexOf("About to apply 2 action(s) to protected environment 'prod'. Type the environment name to continue:");
    expect(question).toBeGreaterThan(0);
    expect(r.stderr.indexOf("cleanup-volumes — apply — environment=prod region=us-east-1")).toBeLessThan(question);
    expect(r.stderr.indexOf("1  delete     vol-1")).toBeLessThan(question);
    expect(ec2.deleted.sort()).toEqual(["vol-1", "vol-2"]);
  });

  test("a wrong answer is exit 2 and nothing is deleted", async () => {
    const { repo, env, ec2 } = setup();
    const r = await runInProcess(["cleanup-volumes", "--environment", "prod", "--format", "json"], {
      cwd: repo,
      env,
      stdinIsTTY: true,
      answer: "production",
      providers: { ec2: async () => ec2 },
    });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).errors[0].message).toBe("confirmation did not match 'prod'; nothing was changed");
    expect(ec2.deleted).toEqual([]);
  });

  test("without a terminal and without --yes it is refused before anything is contacted", async () => {
    const { repo, env } = setup();
    const r = await runInProcess(["cleanup-volumes", "--environment", "prod"], { cwd: repo, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("environment 'prod' is protected: pass --yes");
  });
});

describe("progress", () => {
  test("on a terminal: one live line, rewritten per action and cleared at the end", async () => {
    const { repo, env, ec2 } = setup();
    const r = await runInProcess(["cleanup-volumes", "--environment", "prod", "--yes", "--concurrency", "1"], {
      cwd: repo,
      env,
      stderrIsTTY: true,
      providers: { ec2: async () => ec2 },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("\r\u001b[K1/2 done: 1 applied, 0 failed, 0 skipped\r\u001b[K2/2 done: 2 applied, 0 failed, 0 skipped\r\u001b[K");
  });

  test("--quiet prints nothing on stderr for a clean apply", async () => {
    const { repo, env, ec2 } = setup();
    const r = await runInProcess(["cleanup-volumes", "--environment", "prod", "--yes", "--quiet"], { cwd: repo, env, providers: { ec2: async () => ec2 } });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  });
});

describe("interrupts", () => {
  test("an in-flight call that outlives the grace period is reported as failed with an unknown outcome; nothing new starts", async () => {
    const { repo, env, ec2 } = setup();
    const ctrl = new AbortController();
    ec2.beforeDelete = (id) => {
      if (id === "vol-1") {
        ctrl.abort();
        return new Promise(() => {}); // never answers
      }
    };
    const r = await runInProcess(["cleanup-volumes", "--environment", "prod", "--yes", "--concurrency", "1", "--format", "json"], {
      cwd: repo,
      env: { ...env, OPSCTL_EXECUTOR__GRACE: "1s" },
      signal: ctrl.signal,
      providers: { ec2: async () => ec2 },
    });
    expect(r.code).toBe(130);
    const actions = JSON.parse(r.stdout).result.actions;
    expect(actions[0].status).toBe("failed");
    expect(actions[0].error.message).toContain("interrupted while in flight; no answer within the 1s grace period, outcome unknown");
    expect(actions[1].status).toBe("not-reached");
  });
});
