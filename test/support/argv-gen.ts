import type { FlagSpec, PositionalSpec } from "../../src/cli/flags.ts";
import type { GroupCommand, InfoCommand, OpsCommand, PlannableCommand, ReportCommand } from "../../src/core/command.ts";
import { rng } from "./rng.ts";

// Bad command lines, generated from the command registry (so a command added to
// src/commands/index.ts is covered without touching this file), with a seeded PRNG
// (the same inputs on every run).

export interface Leaf {
  /** Command words, e.g. ["lock", "release"]. */
  words: string[];
  cmd: PlannableCommand | InfoCommand | ReportCommand;
  /** The binary that has it, when it is not opsctl's (a team binary). */
  bin?: string;
}

export function leaves(cmd: OpsCommand, words: string[] = []): Leaf[] {
  if (cmd.kind === "group") return Object.entries(cmd.subCommands).flatMap(([w, c]) => leaves(c, [...words, w]));
  return [{ words, cmd }];
}

export function groups(cmd: OpsCommand, words: string[] = []): { words: string[]; cmd: GroupCommand }[] {
  if (cmd.kind !== "group") return [];
  return [{ words, cmd }, ...Object.entries(cmd.subCommands).flatMap(([w, c]) => groups(c, [...words, w]))];
}

/** Exactly 2 (usage), or any documented code but 1 (the input may be valid for a free-form value). */
export type Expect = 2 | "documented";

export interface BadArgv {
  argv: string[];
  category: string;
  expect: Expect;
  /** A 100 kB free-form value (e.g. an environment name) that the output may legitimately echo. */
  echoes?: boolean;
}

/** A value of the flag's kind that parses; `known` overrides per flag name (e.g. environment=staging). */
export function validValue(spec: FlagSpec, known: Record<string, string>): string {
  if (known[spec.name] !== undefined) return known[spec.name] as string;
  switch (spec.kind) {
    case "enum":
      return spec.values?.[0] ?? "x";
    case "duration":
      return "30d";
    case "integer":
      return "3";
    case "list":
      return "team=data";
    default:
      return "x";
  }
}

/** A valid command line for a leaf: required flags and positionals with values that parse. */
export function baseArgv(leaf: Leaf, known: Record<string, string>, positionals: Record<string, string> = {}): string[] {
  const flags = leaf.cmd.flags.filter((f) => f.required).flatMap((f) => [`--${f.name}`, validValue(f, known)]);
  const pos = ("positionals" in leaf.cmd ? (leaf.cmd.positionals ?? []) : [])
    .filter((p) => p.required)
    .map((p: PositionalSpec) => positionals[p.name] ?? p.values?.[0] ?? "x");
  return [...leaf.words, ...pos, ...flags];
}

const WEIRD = ["ünïcödé", "日本語", "🔥🔥", "\u200b", "e\u0301", "\u202eevil", "a\nb", "\u001b[31mred", "tab\there", "bell\u0007", "ﬀ", "İ", "Ω≈ç√", "𝔘𝔫𝔦"];
const HUGE = "A".repeat(100 * 1024);
const HUGE_UNICODE = "é".repeat(50 * 1024);

/** Bad values for a typed flag: every one of them must be refused by the parser. */
function badTyped(spec: FlagSpec, r: ReturnType<typeof rng>): string {
  switch (spec.kind) {
    case "enum":
      return r.pick(["yaml", "JSON", " json", "json ", "tex", "🔥", HUGE, "--", "jsön", "-1"]);
    case "duration":
      return r.pick(["thirty", "30", "-5d", "1e3d", "30 d", "d", "P", "PT", "30dd", "３０d", HUGE, "∞"]);
    case "integer":
      return r.pick(["-1", "1.5", "ten", "１２", "99999999999", "0x10", "1e3", " 3", "3 ", "+3", HUGE, "٣"]);
    case "list":
      // Only values the flag's own item pattern refuses (a name pattern accepts "noequals").
      return spec.itemPattern ? r.pick(["noequals", "=", "=value", "a b", HUGE].filter((v) => !spec.itemPattern?.re.test(v))) : "";
    default:
      return "";
  }
}

function misspell(name: string, r: ReturnType<typeof rng>): string {
  const i = r.int(name.length);
  const c = "abcdefghijklmnopqrstuvwxyz-"[r.int(27)] as string;
  switch (r.int(5)) {
    case 0:
      return name.slice(0, i) + name.slice(i + 1);
    case 1:
      return name.slice(0, i) + c + name.slice(i);
    case 2:
      return name.slice(0, i) + c + name.slice(i + 1);
    case 3:
      return i + 1 < name.length ? name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2) : `${name}s`;
    default:
      return name.toUpperCase();
  }
}

function insertAt<T>(xs: T[], at: number, ...items: T[]): T[] {
  return [...xs.slice(0, at), ...items, ...xs.slice(at)];
}

/**
 * `count` bad command lines for one leaf command. Each mutates a valid base command line
 * (which, for a command that changes things, would apply: a parser that let a mutation
 * through would be caught by the cloud state changing).
 */
export function badArgv(leaf: Leaf, base: string[], count: number, seed: number): BadArgv[] {
  const r = rng(seed);
  const flagNames = new Set(leaf.cmd.flags.map((f) => f.name));
  const valued = leaf.cmd.flags.filter((f) => f.kind !== "boolean");
  const typed = valued.filter((f) => f.kind === "enum" || f.kind === "duration" || f.kind === "integer" || (f.kind === "list" && f.itemPattern));
  const free = valued.filter((f) => f.kind === "string");
  const singles = leaf.cmd.flags.filter((f) => f.kind !== "list");
  const positionals: PositionalSpec[] = "positionals" in leaf.cmd ? (leaf.cmd.positionals ?? []) : [];
  const after = leaf.words.length;
  const at = (xs: string[]) => after + r.int(xs.length - after + 1);
  const required = leaf.cmd.flags.filter((f) => f.required);
  const requiredPositionals = positionals.filter((p) => p.required);
  // With an optional positional, a stray word may be a valid argument: then any documented outcome.
  const strayExpect: Expect = positionals.some((p) => !p.required) ? "documented" : 2;

  const makers: [string, () => Omit<BadArgv, "category"> | undefined][] = [
    [
      "unknown flag",
      () => {
        const name = r.pick(["bogus", "x", "force-delete", "all", "env", "dryrun", "no-verify", r.pick(WEIRD), `z${r.int(1e6)}`]);
        if (flagNames.has(name)) return undefined;
        const withValue = r.chance(0.5) ? [`--${name}`, "v"] : [`--${name}${r.chance(0.3) ? "=v" : ""}`];
        return { argv: insertAt(base, at(base), ...withValue), expect: 2 };
      },
    ],
    [
      "misspelled flag",
      () => {
        const f = r.pick(leaf.cmd.flags);
        const wrong = misspell(f.name, r);
        if (!wrong || flagNames.has(wrong) || wrong === "help" || wrong === "h") return undefined;
        const v = f.kind === "boolean" ? [] : [validValue(f, {})];
        return { argv: insertAt(base, at(base), `--${wrong}`, ...v), expect: 2 };
      },
    ],
    [
      "single-dash or odd dashes",
      () => {
        const f = r.pick(leaf.cmd.flags);
        const tok = r.pick([`-${f.name}`, `---${f.name}`, `—${f.name}`, `–${f.name}`, "-x", "-Z", "--=x", "---", `-${f.name[0]}`]);
        if (tok === "-h" || tok === "-V") return undefined;
        return { argv: insertAt(base, at(base), tok), expect: tok.startsWith("-") ? 2 : strayExpect };
      },
    ],
    [
      "missing value",
      () => {
        if (!valued.length) return undefined;
        const f = r.pick(valued);
        const other = r.pick(leaf.cmd.flags.filter((g) => g.name !== f.name && g.kind === "boolean").map((g) => `--${g.name}`));
        // At the end, or followed by another flag.
        const argv = r.chance(0.5) || !other ? [...base, `--${f.name}`] : insertAt(base, at(base), `--${f.name}`, other);
        return { argv, expect: 2 };
      },
    ],
    [
      "empty value",
      () => {
        if (!valued.length) return undefined;
        const f = r.pick(valued);
        const v = r.pick(["", " ", "\t", "   "]);
        return { argv: insertAt(base, at(base), ...(r.chance(0.5) ? [`--${f.name}=${v}`] : [`--${f.name}`, v])), expect: 2 };
      },
    ],
    [
      "bad typed value",
      () => {
        if (!typed.length) return undefined;
        const f = r.pick(typed);
        const v = badTyped(f, r);
        return { argv: insertAt(base, at(base), ...(r.chance(0.3) ? [`--${f.name}=${v}`] : [`--${f.name}`, v])), expect: 2 };
      },
    ],
    [
      "boolean given a value",
      () => {
        const bools = leaf.cmd.flags.filter((f) => f.kind === "boolean");
        if (!bools.length) return undefined;
        const f = r.pick(bools);
        return { argv: insertAt(base, at(base), `--${f.name}=${r.pick(["yes", "1", "TRUE", "no", "", "🔥", HUGE])}`), expect: 2 };
      },
    ],
    [
      "repeated flag",
      () => {
        const f = r.pick(singles);
        const one = f.kind === "boolean" ? [`--${f.name}`] : [`--${f.name}`, validValue(f, { environment: "staging" })];
        const present = base.includes(`--${f.name}`);
        return { argv: present ? [...base, ...one] : insertAt([...base, ...one], at(base), ...one), expect: 2 };
      },
    ],
    [
      "-- tricks",
      () => {
        // Everything after `--` is an argument; commands here take at most their declared positionals.
        const tail = r.pick([["--dry-run"], ["--help"], ["--", "--"], ["--format", "json"], [r.pick(WEIRD)], ["-"], [HUGE], ["--version"]]);
        const argv = positionals.length ? [...base, "extra-arg", "--", ...tail] : [...base, "--", ...tail];
        return { argv, expect: 2 };
      },
    ],
    [
      "unicode flag name",
      () => ({ argv: insertAt(base, at(base), `--${r.pick(leaf.cmd.flags).name}${r.pick(["\u200b", "é", "\u0301", "ǃ", "\u00a0"])}`), expect: 2 }),
    ],
    [
      "unicode or control characters in a value",
      () => {
        const f = r.pick(valued.length ? valued : leaf.cmd.flags);
        if (f.kind === "boolean") return { argv: insertAt(base, at(base), `--${f.name}=${r.pick(WEIRD)}`), expect: 2 };
        const v = r.pick(WEIRD);
        // A free-form string may legitimately hold unicode: any documented outcome but 1.
        const expect: Expect = typed.includes(f) ? 2 : "documented";
        return { argv: [...base.filter((_, i) => !(base[i - 1] === `--${f.name}` || base[i] === `--${f.name}`)), `--${f.name}`, v], expect };
      },
    ],
    [
      "100 kB string",
      () => {
        const where = r.int(3);
        if (where === 0) return { argv: insertAt(base, at(base), `--${r.chance(0.5) ? HUGE : HUGE_UNICODE}`), expect: 2 };
        if (where === 1 && free.length) {
          const f = r.pick(free);
          return {
            argv: [...base.filter((_, i) => !(base[i - 1] === `--${f.name}` || base[i] === `--${f.name}`)), `--${f.name}`, HUGE],
            expect: "documented",
            echoes: f.name !== "config",
          };
        }
        return { argv: positionals.length ? [...base, "extra", HUGE] : insertAt(base, at(base), HUGE_UNICODE), expect: strayExpect };
      },
    ],
    [
      "stray argument",
      () => {
        const word = r.pick(["staging", "yes", "delete", "all", "true", r.pick(WEIRD)]);
        const extra = positionals.length ? [base[base.length - 1] === undefined ? "x" : "another", word] : [word];
        return { argv: positionals.length ? [...base, ...extra] : insertAt(base, at(base), ...extra), expect: strayExpect };
      },
    ],
    [
      "missing required flag or argument",
      () => {
        if (requiredPositionals.length && (r.chance(0.5) || !required.length)) {
          // Drop the (first) required positional: it sits right after the command words.
          return { argv: [...base.slice(0, after), ...base.slice(after + 1)], expect: 2 };
        }
        if (!required.length) return undefined;
        const f = r.pick(required);
        const argv = base.filter((_, i) => !(base[i] === `--${f.name}` || base[i - 1] === `--${f.name}`));
        return { argv: r.chance(0.5) ? argv : [...argv, "--dry-run"].filter((a) => a !== "--dry-run" || flagNames.has("dry-run")), expect: 2 };
      },
    ],
    [
      "several problems at once",
      () => {
        const wrong = `${misspell(r.pick(leaf.cmd.flags).name, r)}x`;
        if (flagNames.has(wrong)) return undefined;
        return { argv: insertAt(base, at(base), "--bogus", `--${wrong}`, "--nope=1"), expect: 2 };
      },
    ],
  ];

  const out: BadArgv[] = [];
  const seen = new Set<string>();
  let guard = 0;
  while (out.length < count && guard++ < count * 50) {
    const [category, make] = r.pick(makers);
    const made = make();
    if (!made) continue;
    const key = JSON.stringify(made.argv);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...made, category });
  }
  return out;
}

/** Bad command lines at the top level: unknown and misspelled command words, groups without a subcommand. */
export function badTopLevel(root: OpsCommand, count: number, seed: number): BadArgv[] {
  const r = rng(seed);
  const names = groups(root).flatMap((g) => Object.keys(g.cmd.subCommands).map((n) => ({ words: g.words, n, sub: g.cmd.subCommands[n] })));
  const groupPaths = groups(root).filter((g) => g.words.length > 0);
  const out: BadArgv[] = [];
  const seen = new Set<string>();
  const all = new Set(names.map((x) => x.n));
  let guard = 0;
  while (out.length < count && guard++ < count * 50) {
    const kind = r.int(5);
    let argv: string[];
    let category: string;
    if (kind === 0) {
      const x = r.pick(names);
      const wrong = misspell(x.n, r);
      if (all.has(wrong) || wrong.startsWith("-")) continue;
      argv = [...x.words, wrong, ...(r.chance(0.5) ? ["--format", "json"] : [])];
      category = "misspelled command";
    } else if (kind === 1) {
      argv = [r.pick([...WEIRD.filter((w) => !w.startsWith("-") && w.trim()), HUGE, "help", "delete-everything", "version2", `cmd${r.int(1e6)}`])];
      category = "unknown command";
    } else if (kind === 2 && groupPaths.length) {
      const g = r.pick(groupPaths);
      argv = [...g.words, ...(r.chance(0.5) ? [] : [r.pick(["--format", "--bogus", "--environment"]), "json"])];
      category = "group without a subcommand";
    } else if (kind === 3) {
      argv = [
        r.pick(["--bogus", "--environment", "-x", "--dry-run", "--format=json", "--", "---", `--${r.pick(WEIRD)}`]),
        ...(r.chance(0.5) ? ["staging"] : []),
      ];
      category = "flags without a command";
    } else {
      argv = ["--version", r.pick(["--version", "extra", "--format", "-V"])];
      category = "--version with more";
    }
    const key = JSON.stringify(argv);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ argv, category, expect: 2 });
  }
  return out;
}
