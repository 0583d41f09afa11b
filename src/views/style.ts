/** ANSI styling that is a no-op unless colour is on (TTY, no NO_COLOR, no --no-color, TERM not dumb). */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  /** Shortens file paths inside a piece of text for display. */
  path(text: string): string;
}

export function createStyle(enabled: boolean, paths: { cwd?: string; home?: string } = {}): Style {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    path: (text) => shortenPaths(text, paths),
  };
}

/** For people: paths under the working directory become relative, under HOME start with ~. JSON keeps them absolute. */
function shortenPaths(text: string, { cwd, home }: { cwd?: string; home?: string }): string {
  let out = text;
  if (cwd && cwd !== "/") out = out.split(`${cwd}/`).join("");
  if (home && home !== "/") out = out.split(`${home}/`).join("~/");
  return out;
}

export function stripAnsi(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI sequences being removed
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}
