import type { Writer } from "./deps.ts";

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  success(msg: string): void;
}

export interface LogOptions {
  stderr: Writer;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
}

/** consola, with both of its streams on stderr: stdout carries only the result. */
export async function createLogger(o: LogOptions): Promise<Logger> {
  const { createConsola } = await import("consola");
  const stream = { write: (s: string) => o.stderr.write(s), isTTY: o.stderr.isTTY } as unknown as NodeJS.WriteStream;
  const c = createConsola({
    level: o.quiet ? 0 : o.verbose ? 4 : 3,
    stdout: stream,
    stderr: stream,
    formatOptions: { colors: o.color, date: false, compact: true },
  });
  return {
    debug: (m) => c.debug(m),
    info: (m) => c.info(m),
    warn: (m) => c.warn(m),
    success: (m) => c.success(m),
  };
}
