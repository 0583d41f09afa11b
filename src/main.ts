#!/usr/bin/env -S deno run -A
import { root } from "./commands/index.ts";
import { runMain } from "./run-main.ts";

await runMain(root);
