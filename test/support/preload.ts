import { setDefaultTimeout } from "bun:test";

// Loaded before every test file (bunfig.toml). Tests must never reach a real cloud:
// no instance-metadata lookups, no shared credentials from the developer's home.
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.TZ = "UTC";

// bun 1.4.5 ignores `timeout` in bunfig.toml's [test] section (measured: a 6 s test fails
// at 5 s), so the end-to-end tests' room is set here, where every run picks it up.
setDefaultTimeout(60_000);
