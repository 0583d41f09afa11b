import { parseDuration } from "../core/duration.ts";
import { type Problem, usageError } from "../core/errors.ts";
import { closest } from "../core/suggest.ts";
import { type FlagSpec, type PositionalSpec, requiredFor, valueForm } from "./flags.ts";

export interface ParsedArgs {
  flags: Record<string, string | boolean | number | string[] | undefined>;
  positionals: string[];
  /** Flags the operator typed, in order: provenance for --show-config. */
  given: string[];
}

/**
 * Strict parsing (citty accepts unknown flags silently, and has no repeatable or
 * numeric flags). Every problem is collected, then thrown once as a usage error
 * naming the flag and the accepted form.
 */
export function parseArgv(argv: string[], specs: FlagSpec[], positionals: PositionalSpec[], commandPath: string, program = "opsctl"): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedArgs = { flags: {}, positionals: [], given: [] };
  const problems: Problem[] = [];
  const flagSource = (name: string) => ({ kind: "flag" as const, name: `--${name}` });

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      out.positionals.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const rawName = (eq >= 0 ? token.slice(0, eq) : token).replace(/^--?/, "");
    const inline = eq >= 0 ? token.slice(eq + 1) : undefined;
    const spec = token.startsWith("--") ? byName.get(rawName) : undefined;
    if (!spec) {
      const hint = closest(rawName, [...byName.keys()]);
      problems.push({
        message: `unknown flag ${printable(token.startsWith("--") ? `--${rawName}` : token)}${hint ? ` (did you mean --${hint}?)` : ""}`,
        // The source is printed too: the operator's token, kept short and free of control characters.
        source: flagSource(printable(rawName)),
      });
      // Its value, if it had one, is not a stray positional: skip it to avoid a second, misleading error.
      const next = argv[i + 1];
      if (inline === undefined && next !== undefined && !next.startsWith("-")) i++;
      continue;
    }
    if (spec.kind !== "list" && out.given.includes(spec.name)) {
      problems.push({ message: `--${spec.name} was given more than once`, source: flagSource(spec.name) });
      if (spec.kind !== "boolean" && inline === undefined) i++;
      continue;
    }
    out.given.push(spec.name);
    if (spec.kind === "boolean") {
      if (inline === undefined) out.flags[spec.name] = true;
      else if (inline === "true" || inline === "false") out.flags[spec.name] = inline === "true";
      else problems.push({ message: `--${spec.name} takes no value (or =true/=false), got '${printable(inline)}'`, source: flagSource(spec.name) });
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        problems.push({ message: `--${spec.name} needs a value: ${valueForm(spec)}`, source: flagSource(spec.name) });
        continue;
      }
      value = next;
      i++;
    }
    const checked = checkValue(spec, value);
    if (typeof checked === "string") {
      problems.push({ message: checked, source: flagSource(spec.name) });
      continue;
    }
    if (spec.kind === "list") out.flags[spec.name] = [...((out.flags[spec.name] as string[]) ?? []), value];
    else out.flags[spec.name] = checked.value;
  }

  for (const spec of specs) {
    if (requiredFor(spec, out.flags) && out.flags[spec.name] === undefined && !problems.some((p) => p.source?.name === `--${spec.name}`)) {
      problems.push({ message: `--${spec.name} is required: ${valueForm(spec)}`, source: flagSource(spec.name) });
    }
  }
  positionals.forEach((p, idx) => {
    const got = out.positionals[idx];
    if (got === undefined) {
      if (p.required) problems.push({ message: `missing argument <${p.name}>: ${p.description}`, source: { kind: "argument", name: p.name } });
    } else if (p.values && !p.values.includes(got)) {
      problems.push({ message: `<${p.name}> must be one of ${p.values.join(", ")}, got '${printable(got)}'`, source: { kind: "argument", name: p.name } });
    }
  });
  if (out.positionals.length > positionals.length) {
    const extra = out.positionals
      .slice(positionals.length)
      .map((p) => printable(p))
      .join(" ");
    problems.push({
      message: `unexpected argument${out.positionals.length - positionals.length > 1 ? "s" : ""}: ${extra}`,
      source: { kind: "argument", name: extra },
    });
  }
  if (problems.length) throw usageError(problems, `Run '${program} ${commandPath} --help'`);
  return out;
}

function checkValue(spec: FlagSpec, value: string): { value: string | number } | string {
  const bad = (why: string) => `--${spec.name}: ${why}, got '${printable(value)}'`;
  if (value.trim() === "") return `--${spec.name} needs a non-empty value: ${valueForm(spec)}`;
  switch (spec.kind) {
    case "enum":
      return spec.values?.includes(value) ? { value } : bad(`must be ${valueForm(spec)}`);
    case "duration":
      return parseDuration(value) !== undefined ? { value } : bad(`must be ${valueForm(spec)}`);
    case "integer":
      return /^\d{1,9}$/.test(value) ? { value: Number(value) } : bad(`must be ${valueForm(spec)}`);
    case "list":
      return !spec.itemPattern || spec.itemPattern.re.test(value) ? { value } : bad(`must be ${spec.itemPattern.form}`);
    default:
      return { value };
  }
}

/** Echoing operator input back: keep it one short line so a 100 kB argument stays readable. */
export function printable(s: string, max = 80): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must not reach a terminal
  const flat = s.replace(/[\u0000-\u001f\u007f]/g, "?");
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** Whether --format json was asked for, found before full parsing so usage errors can be JSON too. */
export function wantsJson(argv: string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--") return false;
    if (argv[i] === "--format=json") return true;
    if (argv[i] === "--format" && argv[i + 1] === "json") return true;
  }
  return false;
}
