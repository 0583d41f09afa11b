import { describe, expect, test } from "bun:test";
import { workspace } from "../support/e2e-env.ts";
import { Moto } from "../support/moto.ts";
import { runShipped, shippedLinux } from "../support/shipped.ts";

// The linux-arm64 release binary, executed under qemu-user, answers exactly like the
// x64 one: same bytes for --version and exit-codes, and the same cleanup-volumes dry
// run and apply against moto once volume ids and times are normalised.

const moto = new Moto();
/** Several emulated runs of ~3 s each (more on a busy machine) per test. */
const EMULATED_MS = 240_000;
const [x64, arm64] = shippedLinux() as [ReturnType<typeof shippedLinux>[number], ReturnType<typeof shippedLinux>[number]];

/** The same estate for each binary; returns name → volume id. */
async function seed(): Promise<Record<string, string>> {
  await moto.reset();
  return {
    old: await moto.volume({ name: "old", ageDays: 90, tags: { Environment: "staging" } }),
    older: await moto.volume({ name: "older", ageDays: 45, tags: { Environment: "staging" } }),
    young: await moto.volume({ name: "young", ageDays: 5, tags: { Environment: "staging" } }),
    keep: await moto.volume({ name: "keep", ageDays: 90, tags: { Environment: "staging", "opsctl:protect": "true" } }),
  };
}

function normalise(text: string, ids: Record<string, string>, dir: string): string {
  let out = text.split(dir).join("<dir>");
  for (const [name, id] of Object.entries(ids)) out = out.split(id).join(`<vol:${name}>`);
  return (
    out
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
      .replace(/sha256:[0-9a-f]{12,64}/g, "<digest>")
      .replace(/"(durationMs|elapsedMs)": \d+/g, '"$1": 0')
      // Progress lines count in completion order, which concurrency makes vary.
      .replace(/ \(\d+\/\d+\)$/gm, " (i/n)")
      // Actions and authorization contexts are numbered in volume-id order, and the ids are random
      // per run: numbers and the column padding that follows the ids' placeholders are normalised.
      .replace(/authorization context #\d+/g, "authorization context #n")
      .replace(/^(\s+)\d+(\s+(?:delete|snapshot)\s)/gm, "$1n$2")
      .replace(/(<vol:\w+>) +/g, "$1 ")
  );
}

/**
 * Actions are listed in volume-id order and ids are random per run: compare sets, not
 * order (JSON arrays sorted deeply, text lines sorted).
 */
function unordered(text: string): unknown {
  try {
    return sortDeep(JSON.parse(text));
  } catch {
    return text.split("\n").sort();
  }
}

function sortDeep(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortDeep).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, sortDeep(v)]));
  return x;
}

/** One binary's run of the scenario: dry run (text and JSON), saved plan, apply, audit. */
async function scenario(bin: typeof x64) {
  const ids = await seed();
  const { dir, env } = workspace(moto.url);
  const run = async (args: string[]) => {
    const r = await runShipped(bin, args, { cwd: dir, env });
    return { code: r.code, stdout: unordered(normalise(r.stdout, ids, dir)), stderr: unordered(normalise(r.stderr, ids, dir)) };
  };
  return {
    dryText: await run(["cleanup-volumes", "--environment", "staging", "--dry-run"]),
    dryJson: await run(["cleanup-volumes", "--environment", "staging", "--dry-run", "--format", "json", "--out", "plan.json"]),
    apply: await run(["apply", "plan.json", "--format", "json"]),
    left: (await moto.volumeIds()).map((id) => Object.entries(ids).find(([, v]) => v === id)?.[0] ?? "other").sort(),
  };
}

describe("linux-arm64 under qemu-user matches linux-x64", () => {
  test(
    "--version and exit-codes --format json: the same bytes",
    async () => {
      for (const args of [["--version"], ["exit-codes", "--format", "json"], ["exit-codes"]]) {
        const a = await runShipped(x64, args, { cwd: "/tmp", env: {} });
        const b = await runShipped(arm64, args, { cwd: "/tmp", env: {} });
        expect(b).toEqual(a);
        expect(a.code).toBe(0);
      }
    },
    EMULATED_MS,
  );

  test("version --format json names each build target", async () => {
    const b = await runShipped(arm64, ["version", "--format", "json"], { cwd: "/tmp", env: {} });
    expect(b.code).toBe(0);
    expect(b.json.result).toMatchObject({ target: "linux-arm64", platform: "linux-arm64" });
  });

  test(
    "cleanup-volumes dry run, saved plan and apply against moto: the same output and the same end state",
    async () => {
      const a = await scenario(x64);
      const b = await scenario(arm64);
      expect(a.dryText.code).toBe(10);
      expect(a.dryJson.code).toBe(10);
      expect(a.apply.code).toBe(0);
      expect(a.left).toEqual(["keep", "young"]);
      expect(b).toEqual(a);
    },
    EMULATED_MS,
  );
});
