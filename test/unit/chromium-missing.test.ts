import { afterEach, describe, expect, it } from "vitest";
import { chromiumPath } from "../e2e/browser";

describe("the browser tests without Chromium", () => {
  const saved = process.env.CHROMIUM_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = saved;
  });

  it("fail loudly with the install command instead of skipping", () => {
    process.env.CHROMIUM_PATH = "/nonexistent/chromium-for-this-test";
    expect(() => chromiumPath()).toThrow(/No Chromium at \/nonexistent\/chromium-for-this-test.*apt-get update && apt-get install -y chromium/s);
  });
});
