import { describe, expect, it } from "vitest";
import { safeNextPath } from "../../web/src/lib/next-path";

describe("safeNextPath (post-sign-in redirect target)", () => {
  it.each([
    ["/projects", "/projects"],
    ["/chat?session=abc", "/chat?session=abc"],
    ["/knowledge#doc-1", "/knowledge#doc-1"],
  ])("keeps the same-site path %s", (input, expected) => {
    expect(safeNextPath(input)).toBe(expected);
  });

  it.each([
    [undefined],
    [""],
    ["https://evil.test/"],
    ["//evil.test/path"],
    ["/\\evil.test"],
    ["javascript:alert(1)"],
    ["projects"],
    ["/\t/evil.test"],
    ["/login"],
    ["/register?next=%2Fchat"],
  ])("falls back to / for %j", (input) => {
    expect(safeNextPath(input)).toBe("/");
  });
});
