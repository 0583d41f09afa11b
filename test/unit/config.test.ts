import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// The registry composes the config schema from the commands' sections.
import { root } from "../../src/commands/index.ts";
import { activateConfigFor } from "../../src/config/model.ts";
import { Redactor } from "../../src/config/redact.ts";
import { type ResolveOptions, resolveConfig } from "../../src/config/resolve.ts";
import { resolveSecret } from "../../src/config/secrets.ts";
import { OpsError } from "../../src/core/errors.ts";
import { tempRepo } from "../support/tmp.ts";

// Other test files may have built another registry (the team binary's) in this process.
beforeAll(() => activateConfigFor(root));

/** A command's section, as the pipeline hands it to the command (ctx.section). */
const cleanupVolumes = (config: unknown) =>
  (config as { cleanupVolumes: { olderThan: string; environmentTag: string; snapshotFirst: boolean; excludeTags: string[] } }).cleanupVolumes;

const opts = (cwd: string, o: Partial<ResolveOptions> = {}): ResolveOptions => ({
  cwd,
  env: { HOME: cwd, XDG_CONFIG_HOME: join(cwd, ".xdg") },
  flags: [],
  redactor: new Redactor(),
  ...o,
});

async function usageProblems(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OpsError);
    expect((e as OpsError).exit).toBe("usage");
    return (e as OpsError).problems.map(
      (x) => `${x.message} @ ${x.source ? `${x.source.kind}:${x.source.name}${x.source.key ? `#${x.source.key}` : ""}` : "-"}`,
    );
  }
  throw new Error("expected a usage error");
}

describe("layering and provenance", () => {
  test("defaults < repository < user < env < flags, each key with its source and what it shadowed", async () => {
    const repo = tempRepo({
      "opsctl.config.yaml": "region: us-east-1\nguardrails:\n  maxDeletions: 20\ncleanupVolumes:\n  olderThan: 14d\n",
      ".xdg/opsctl/config.toml": 'region = "us-west-2"\n[aws]\nprofile = "ops"\n',
    });
    const r = await resolveConfig(
      opts(repo, {
        env: { HOME: repo, XDG_CONFIG_HOME: join(repo, ".xdg"), OPSCTL_REGION: "eu-west-1", OPSCTL_GUARDRAILS__MAX_DELETIONS: "10" },
        flags: [{ key: "region", value: "eu-central-1", flag: "--region" }],
      }),
    );
    expect(r.config.region).toBe("eu-central-1");
    expect(r.config.guardrails.maxDeletions).toBe(10);
    expect(cleanupVolumes(r.config).olderThan).toBe("14d");
    expect(cleanupVolumes(r.config).environmentTag).toBe("Environment");
    expect(r.config.aws.profile).toBe("ops");
    const region = r.entries.find((e) => e.key === "region");
    expect(region?.source).toEqual({ kind: "flag", name: "--region" });
    expect(region?.shadowed.map((s) => (s.source.kind === "file" ? s.source.name.replace(repo, "REPO") : s.source.name))).toEqual([
      "OPSCTL_REGION",
      "REPO/.xdg/opsctl/config.toml",
      "REPO/opsctl.config.yaml",
    ]);
    expect(r.entries.find((e) => e.key === "guardrails.maxDeletions")?.source).toEqual({ kind: "env", name: "OPSCTL_GUARDRAILS__MAX_DELETIONS" });
    expect(r.entries.find((e) => e.key === "executor.concurrency")?.source.kind).toBe("default");
    expect(r.files.repository).toBe(join(repo, "opsctl.config.yaml"));
  });

  test("the repository config is found from a subdirectory, but never above the repository root", async () => {
    const outer = tempRepo({ "opsctl.config.json": '{"region":"us-east-1"}' });
    const inner = join(outer, "svc", "deep");
    mkdirSync(inner, { recursive: true });
    expect((await resolveConfig(opts(inner))).config.region).toBe("us-east-1");
    mkdirSync(join(outer, "svc", ".git"));
    expect((await resolveConfig(opts(inner))).config.region).toBeUndefined();
  });

  test("all formats parse: json, jsonc, yaml, yml, toml, .opsctlrc", async () => {
    const cases: Record<string, string> = {
      "opsctl.config.json": '{"region":"us-east-2"}',
      "opsctl.config.jsonc": '{\n // comment\n "region": "us-east-2",\n}',
      "opsctl.config.yaml": "region: us-east-2\n",
      "opsctl.config.yml": "region: us-east-2\n",
      "opsctl.config.toml": 'region = "us-east-2"\n',
      ".opsctlrc": "region=us-east-2\n",
    };
    for (const [name, content] of Object.entries(cases)) {
      const repo = tempRepo({ [name]: content });
      expect((await resolveConfig(opts(repo))).config.region).toBe("us-east-2");
    }
  });

  test("per-environment blocks override their layer's base keys when the environment is chosen", async () => {
    const repo = tempRepo({
      "opsctl.config.yaml": "region: us-east-1\nenvironments:\n  prod:\n    region: us-west-2\n    guardrails:\n      maxDeletions: 5\n",
    });
    const staging = await resolveConfig(opts(repo, { environment: "staging" }));
    expect(staging.config.region).toBe("us-east-1");
    const prod = await resolveConfig(opts(repo, { environment: "prod" }));
    expect(prod.config.region).toBe("us-west-2");
    expect(prod.config.guardrails.maxDeletions).toBe(5);
    expect(prod.entries.find((e) => e.key === "region")?.source.key).toBe("environments.prod.region");
    expect(prod.entries.some((e) => e.key.startsWith("environments."))).toBe(false);
  });
});

describe("locked keys", () => {
  test("a higher layer changing a locked key is a usage error naming both sources", async () => {
    const repo = tempRepo({
      "opsctl.config.yaml": "locked: [guardrails.maxDeletions, protectedEnvironments]\nguardrails:\n  maxDeletions: 10\n",
      ".xdg/opsctl/config.yaml": "protectedEnvironments: []\n",
    });
    const msgs = await usageProblems(
      resolveConfig(opts(repo, { env: { HOME: repo, XDG_CONFIG_HOME: join(repo, ".xdg"), OPSCTL_GUARDRAILS__MAX_DELETIONS: "500" } })),
    );
    expect(msgs.map((m) => m.split(repo).join("REPO")).sort()).toEqual([
      "guardrails.maxDeletions is locked by REPO/opsctl.config.yaml: locked and cannot be changed by env OPSCTL_GUARDRAILS__MAX_DELETIONS @ env:OPSCTL_GUARDRAILS__MAX_DELETIONS",
      "protectedEnvironments is locked by REPO/opsctl.config.yaml: locked and cannot be changed by REPO/.xdg/opsctl/config.yaml: protectedEnvironments @ file:REPO/.xdg/opsctl/config.yaml#protectedEnvironments",
    ]);
  });

  test("locked itself may only be set by the repository config", async () => {
    const repo = tempRepo({ ".xdg/opsctl/config.json": '{"locked":["region"]}' });
    const msgs = await usageProblems(resolveConfig(opts(repo)));
    expect(msgs[0]).toStartWith("locked: may only be set in the repository config");
  });
});

describe("every config problem is reported at once, each with its source", () => {
  test("unknown keys, wrong types, bad durations and env vars together", async () => {
    const repo = tempRepo({
      "opsctl.config.yaml": "regoin: us-east-1\nguardrails:\n  maxDeletions: lots\ncleanupVolumes:\n  olderThan: soon\n",
    });
    const msgs = await usageProblems(
      resolveConfig(opts(repo, { env: { HOME: repo, XDG_CONFIG_HOME: join(repo, ".xdg"), OPSCTL_AWS__REGON: "x", OPSCTL_EXECUTOR__CONCURRENCY: "many" } })),
    );
    const norm = msgs.map((m) => m.split(repo).join("REPO"));
    expect(norm).toContain("OPSCTL_AWS__REGON: not a configuration key (OPSCTL_<SECTION>__<KEY>, e.g. OPSCTL_AWS__REGION) @ env:OPSCTL_AWS__REGON");
    expect(norm).toContain("regoin: unknown key (did you mean 'region'?) @ file:REPO/opsctl.config.yaml#regoin");
    expect(norm).toContain('guardrails.maxDeletions: must be a number, got "lots" @ file:REPO/opsctl.config.yaml#guardrails.maxDeletions');
    expect(norm.some((m) => m.startsWith("cleanupVolumes.olderThan: must be a duration"))).toBe(true);
    expect(norm).toContain('executor.concurrency: must be a number, got "many" @ env:OPSCTL_EXECUTOR__CONCURRENCY');
  });

  test("a file that does not parse names the file", async () => {
    const repo = tempRepo({ "opsctl.config.yaml": "aws:\n  region: [unclosed\n" });
    const [msg] = await usageProblems(resolveConfig(opts(repo)));
    expect(msg).toStartWith(`${join(repo, "opsctl.config.yaml")}: does not parse:`);
  });

  test("--config pointing at a missing file, a directory, or an unsupported format", async () => {
    const repo = tempRepo({ "conf.ini": "x=1" });
    mkdirSync(join(repo, "adir"));
    expect((await usageProblems(resolveConfig(opts(repo, { configFile: "nope.yaml" }))))[0]).toContain("nope.yaml: cannot read config file (ENOENT)");
    expect((await usageProblems(resolveConfig(opts(repo, { configFile: "adir" }))))[0]).toContain("unsupported config format");
    mkdirSync(join(repo, "d.yaml"));
    expect((await usageProblems(resolveConfig(opts(repo, { configFile: "d.yaml" }))))[0]).toContain("d.yaml: is a directory, not a config file");
    expect((await usageProblems(resolveConfig(opts(repo, { configFile: "conf.ini" }))))[0]).toContain("unsupported config format '.ini'");
  });

  test("an unreadable file and an oversized file", async () => {
    const repo = tempRepo({ "big.yaml": `# ${"x".repeat(2 * 1024 * 1024)}\n`, "secret.yaml": "region: us-east-1\n" });
    expect((await usageProblems(resolveConfig(opts(repo, { configFile: "big.yaml" }))))[0]).toContain("the limit is 1048576");
    if (process.getuid?.() !== 0) {
      chmodSync(join(repo, "secret.yaml"), 0o000);
      expect((await usageProblems(resolveConfig(opts(repo, { configFile: "secret.yaml" }))))[0]).toContain("secret.yaml");
    }
  });

  test("two repository configs in one directory is ambiguous", async () => {
    const repo = tempRepo({ "opsctl.config.yaml": "{}", "opsctl.config.json": "{}" });
    expect((await usageProblems(resolveConfig(opts(repo))))[0]).toContain("more than one repository config");
  });
});

describe("env mapping", () => {
  test("nested keys, camelCase words, lists and booleans", async () => {
    const repo = tempRepo();
    const r = await resolveConfig(
      opts(repo, {
        env: {
          OPSCTL_CLEANUP_VOLUMES__SNAPSHOT_FIRST: "true",
          OPSCTL_PROTECTED_ENVIRONMENTS: "prod, live",
          OPSCTL_CLEANUP_VOLUMES__EXCLUDE_TAGS: '["keep=yes"]',
          OPSCTL_ENVIRONMENTS__PROD__REGION: "us-west-1",
        },
        environment: "prod",
      }),
    );
    expect(cleanupVolumes(r.config).snapshotFirst).toBe(true);
    expect(r.config.protectedEnvironments).toEqual(["prod", "live"]);
    expect(cleanupVolumes(r.config).excludeTags).toEqual(["keep=yes"]);
    expect(r.config.region).toBe("us-west-1");
  });
});

describe("secrets", () => {
  const CANARY = "CANARY-7f3e9a1b-secret";

  test("show-config data never holds a secret value, only where it came from", async () => {
    const repo = tempRepo({ "opsctl.config.yaml": `aws:\n  accessKeyId: AKIDEXAMPLE\n  secretAccessKey: ${CANARY}\n  sessionToken: env:MY_TOKEN\n` });
    const redactor = new Redactor();
    const r = await resolveConfig(opts(repo, { redactor }));
    const { displayValue } = await import("../../src/config/resolve.ts");
    const shown = r.entries.map((e) => ({ key: e.key, value: displayValue(e) }));
    expect(JSON.stringify(shown)).not.toContain(CANARY);
    expect(shown.find((s) => s.key === "aws.secretAccessKey")?.value).toBe(`set (from ${join(repo, "opsctl.config.yaml")}: aws.secretAccessKey)`);
    expect(shown.find((s) => s.key === "aws.sessionToken")?.value).toBe("set (from env:MY_TOKEN)");
    expect(r.digest).not.toContain(CANARY);
    expect(redactor.scrub(`leak ${CANARY} here`)).toBe("leak [redacted] here");
  });

  test("references resolve at use; a missing one is a usage error that does not echo any value", () => {
    const redactor = new Redactor();
    expect(resolveSecret("env:TOKEN", "aws.sessionToken", { TOKEN: CANARY }, redactor)).toBe(CANARY);
    expect(redactor.scrub(CANARY)).toBe("[redacted]");
    const repo = tempRepo({ "key.txt": `${CANARY}\n` });
    expect(resolveSecret(`file:${join(repo, "key.txt")}`, "k", {}, redactor)).toBe(CANARY);
    expect(() => resolveSecret("env:NOPE", "aws.sessionToken", {}, redactor)).toThrow("aws.sessionToken: env:NOPE is not set");
    expect(() => resolveSecret("file:/nonexistent/x", "k", {}, redactor)).toThrow("file:/nonexistent/x cannot be read (ENOENT)");
  });

  test("a secret given as a literal in an env var is redacted too", async () => {
    const repo = tempRepo();
    const redactor = new Redactor();
    await resolveConfig(opts(repo, { env: { OPSCTL_AWS__SECRET_ACCESS_KEY: CANARY }, redactor }));
    expect(redactor.scrub(CANARY)).toBe("[redacted]");
    writeFileSync(join(repo, "x"), "");
  });
});
