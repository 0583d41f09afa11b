// Loaded before every test file (bunfig.toml). Tests must never reach a real cloud:
// no instance-metadata lookups, no shared credentials from the developer's home.
process.env.AWS_EC2_METADATA_DISABLED = "true";
process.env.TZ = "UTC";
