import { expect, test } from "bun:test";
import { unmetPreconditions } from "../../src/core/preconditions.ts";

test("unmet preconditions say what changed", () => {
  const pre = [
    { description: "still available", attribute: "state", expected: "available", test: "equals" as const },
    { description: "still unattached", attribute: "attachments", expected: [], test: "empty" as const },
    { description: "not protected", attribute: "tags.protect", expected: "true", test: "absent-or-not-equal" as const },
  ];
  expect(unmetPreconditions(pre, { state: "available", attachments: [] })).toEqual([]);
  expect(unmetPreconditions(pre, { state: "in-use", attachments: ["i-1"], "tags.protect": "true" })).toEqual([
    'still available (state is now "in-use")',
    'still unattached (attachments is now ["i-1"])',
    'not protected (tags.protect is now "true")',
  ]);
});
