import { existsSync } from "node:fs";
import { join } from "node:path";
import { type BinOptions, type BinResult, runProcess } from "./bin.ts";

/**
 * The Linux release binaries that can be executed on this (x64) machine, and how:
 * linux-x64 natively, linux-arm64 under qemu-user (Debian's qemu-user-static, with the
 * aarch64 glibc from libc6-arm64-cross as its sysroot). scripts/test.sh builds both.
 *
 * linux-x64-musl is shipped but not run here: Debian 12's musl (1.2.3) is the only musl
 * loader in the registries this project may use, and it cannot load any musl libstdc++
 * found there (see README "Building and running elsewhere").
 */
export interface Shipped {
  target: string;
  file: string;
  /** The argv that runs the binary with `args`. */
  argv(args: string[]): string[];
}

const DIST = join(import.meta.dir, "..", "..", "dist");
export const QEMU_AARCH64 = "/usr/bin/qemu-aarch64-static";
export const AARCH64_SYSROOT = "/usr/aarch64-linux-gnu";

export function shippedLinux(): Shipped[] {
  const x64 = join(DIST, "opsctl-linux-x64");
  const arm64 = join(DIST, "opsctl-linux-arm64");
  return [
    { target: "linux-x64", file: x64, argv: (args) => [x64, ...args] },
    { target: "linux-arm64", file: arm64, argv: (args) => [QEMU_AARCH64, "-L", AARCH64_SYSROOT, arm64, ...args] },
  ];
}

/** Fails (never skips) when a binary or its emulator is missing: a green run must mean it ran. */
export function requireRunnable(s: Shipped): void {
  if (!existsSync(s.file)) throw new Error(`${s.file} is missing: build it with 'bun scripts/build.ts --target ${s.target}' (npm test does)`);
  if (s.target === "linux-arm64" && (!existsSync(QEMU_AARCH64) || !existsSync(join(AARCH64_SYSROOT, "lib", "ld-linux-aarch64.so.1")))) {
    throw new Error("qemu-user-static and libc6-arm64-cross are needed to run linux-arm64: run 'bash scripts/peers.sh install'");
  }
}

export function runShipped(s: Shipped, args: string[], o: BinOptions): Promise<BinResult> {
  requireRunnable(s);
  // Emulated start-up is ~3 s; an apply does several round trips.
  return runProcess(s.argv(args), { timeoutMs: 55_000, ...o });
}
