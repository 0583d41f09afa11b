import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { completionTree } from "../../src/commands/completion/model.ts";
import { root } from "../../src/commands/index.ts";
import { BIN, runBin, runProcess } from "../support/bin.ts";
import { tempRepo } from "../support/tmp.ts";

// `opsctl completion bash` from the compiled binary, loaded into a real bash, asked to
// complete the way readline does (COMP_WORDS/COMP_CWORD, then the registered function).

let dir: string;
let script: string;

beforeAll(async () => {
  dir = tempRepo({
    "opsctl.config.yaml": "region: us-east-1\nprotectedEnvironments: [prod]\nenvironments:\n  staging: { region: eu-west-1 }\n  qa-2: {}\n",
  });
  const r = await runBin(["completion", "bash"], { cwd: dir, env: { HOME: dir } });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe("");
  script = join(dir, "opsctl.bash");
  writeFileSync(script, r.stdout);
});

/** What bash offers for the command line `words` with the cursor on the last word. */
async function complete(...words: string[]): Promise<string[]> {
  const line = ["opsctl", ...words];
  const program = [
    `source ${JSON.stringify(script)}`,
    // The scripts run "\${COMP_WORDS[0]} completion environments": word 0 is the binary here.
    `COMP_WORDS=(${[BIN, ...words].map((w) => `'${w}'`).join(" ")})`,
    `COMP_CWORD=${line.length - 1}`,
    `COMP_LINE=${JSON.stringify(line.join(" "))}`,
    `complete -p opsctl >/dev/null || exit 9`,
    "_opsctl",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const r = await runProcess(["bash", "--norc", "--noprofile", "-c", program], { cwd: dir, env: { HOME: dir } });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout.split("\n").filter(Boolean).sort();
}

describe("bash completion from the command registry", () => {
  test("completes a command", async () => {
    expect(await complete("clea")).toEqual(["cleanup-volumes"]);
    expect(await complete("dep")).toEqual(["deploy", "deploy-plan"]);
  });

  test("completes every top-level command from an empty word", async () => {
    const top = root.subCommands;
    expect(await complete("")).toEqual([...Object.keys(top), "--help"].sort());
  });

  test("completes a flag of the command typed, and only its flags", async () => {
    expect(await complete("cleanup-volumes", "--env")).toEqual(["--environment"]);
    expect(await complete("cleanup-volumes", "--environment", "staging", "--older")).toEqual(["--older-than"]);
    expect(await complete("history", "--env")).toEqual([]);
  });

  test("completes enum values and sub-commands of groups", async () => {
    expect(await complete("cleanup-volumes", "--format", "")).toEqual(["json", "text"]);
    expect(await complete("lock", "r")).toEqual(["release"]);
    expect(await complete("schema", "")).toEqual(["config", "fleet-plan", "plan", "result"]);
    expect(await complete("completion", "")).toEqual(["bash", "environments", "fish", "zsh"]);
  });

  test("completes environment names from the config in the working directory", async () => {
    expect(await complete("cleanup-volumes", "--environment", "")).toEqual(["prod", "qa-2", "staging"]);
    expect(await complete("deploy-plan", "--service", "billing", "--environment", "s")).toEqual(["staging"]);
  });

  test("a flag whose value is free-form offers nothing (not the flag list)", async () => {
    expect(await complete("cleanup-volumes", "--older-than", "")).toEqual([]);
  });

  test("completion environments prints the names one a line; a broken config prints nothing and exits 0", async () => {
    const r = await runBin(["completion", "environments"], { cwd: dir, env: { HOME: dir } });
    expect(r).toMatchObject({ code: 0, stdout: "prod\nqa-2\nstaging\n", stderr: "" });
    const broken = tempRepo({ "opsctl.config.yaml": "environments: [unclosed\n" });
    const b = await runBin(["completion", "environments"], { cwd: broken, env: { HOME: broken } });
    expect(b).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  test("zsh and fish scripts cover every command and flag of the registry", async () => {
    const zsh = await runBin(["completion", "zsh"], { cwd: dir, env: { HOME: dir } });
    const fish = await runBin(["completion", "fish"], { cwd: dir, env: { HOME: dir } });
    expect(zsh.code).toBe(0);
    expect(fish.code).toBe(0);
    expect(zsh.stdout).toContain("bashcompinit");
    for (const n of completionTree(root)) {
      for (const c of n.children) expect(fish.stdout).toContain(`-a '${c.name}'`);
      for (const f of n.flags) {
        expect(zsh.stdout).toContain(`--${f.name}`);
        expect(fish.stdout).toContain(`-l ${f.name}`);
      }
    }
    expect(fish.stdout).toContain("-l format -x -a 'text json'");
  });

  test("an unknown shell is exit 2 naming the choices", async () => {
    const r = await runBin(["completion", "powershell"], { cwd: dir, env: { HOME: dir } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("<shell> must be one of bash, zsh, fish, environments, got 'powershell'");
  });
});
