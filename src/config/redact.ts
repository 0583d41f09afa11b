// Defence in depth: besides never putting secret values into output on purpose,
// every byte written to stdout, stderr, plan files and audit records passes
// through this scrubber, which replaces any known secret value.

export class Redactor {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    // Very short values would redact ordinary words; secrets are never that short.
    if (value && value.length >= 4) this.values.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join("[redacted]");
    return out;
  }
}
