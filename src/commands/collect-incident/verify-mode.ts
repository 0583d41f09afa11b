import { resolve } from "node:path";
import { type CommandMode, usageError } from "../../sdk/index.ts";
import { verifyBundle } from "./verify.ts";

/**
 * `collect-incident --verify FILE`: re-hashes every file of a bundle against its
 * manifest. Exit 0 when all match; 3 naming each file that does not (or when the file is
 * not a bundle); 2 when there is no such file.
 */
export const verifyMode: CommandMode = {
  flag: {
    name: "verify",
    kind: "string",
    valueName: "BUNDLE",
    description: "Re-check every hash of a bundle against its manifest (exit 0, or 3 naming each file); needs no other flag",
  },
  async run(inv) {
    const given = String(inv.flags.verify ?? "");
    if (!given) throw usageError([{ message: "--verify needs a bundle file", source: { kind: "flag", name: "--verify" } }]);
    const path = resolve(inv.deps.cwd, given);
    let r: Awaited<ReturnType<typeof verifyBundle>>;
    try {
      r = await verifyBundle(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      throw usageError([{ message: `cannot read bundle ${path} (${code})`, source: { kind: "flag", name: "--verify" } }]);
    }
    const errors = r.unreadable
      ? [{ code: "validation" as const, message: `${path} is not a readable bundle: ${r.unreadable}` }]
      : r.problems.map((p) => ({ code: "validation" as const, message: `${p.path}: ${p.problem} (${p.detail})`, resource: p.path }));
    const lines = [
      `collect-incident --verify ${path}`,
      `bundle digest ${r.digest || "-"}`,
      r.unreadable ? "Not checked: the file is not a readable bundle." : `${r.ok} of ${r.files} file(s) match the manifest; ${r.problems.length} problem(s).`,
    ];
    return {
      command: "collect-incident",
      mode: "info",
      scope: null,
      plan: null,
      result: r,
      exit: errors.length ? "validation" : "ok",
      errors,
      view: "text",
      text: lines.join("\n"),
    };
  },
};
