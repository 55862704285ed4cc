import { describe, expect, it } from "vitest";
import { verifyGithubSignature, verifySlackSignature } from "../../worker/webhooks/verify";

const bytes = (s: string) => new TextEncoder().encode(s);

/** GitHub's published example (docs: "Validating webhook deliveries"). */
const GITHUB = {
  secret: "It's a Secret to Everybody",
  body: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
};

/** Slack's documented example (docs: "Verifying requests from Slack"). */
const SLACK = {
  secret: "8f742231b10e8888abcd99yyyzzz85a5",
  timestamp: "1531420618",
  body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
  signature: "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
};
const SLACK_TIME_MS = Number(SLACK.timestamp) * 1000;

describe("verifyGithubSignature", () => {
  it("accepts GitHub's published example", async () => {
    expect(await verifyGithubSignature(GITHUB.secret, bytes(GITHUB.body), GITHUB.signature)).toEqual({ ok: true });
  });

  it.each([
    ["one byte of the body changed", GITHUB.secret, "Hello, World?", GITHUB.signature],
    ["a trailing newline added to the body", GITHUB.secret, "Hello, World!\n", GITHUB.signature],
    ["another secret", "It's a Secret to Everybody!", GITHUB.body, GITHUB.signature],
    ["one hex digit of the signature changed", GITHUB.secret, GITHUB.body, GITHUB.signature.replace(/7$/, "8")],
    ["no signature", GITHUB.secret, GITHUB.body, undefined],
    ["a SHA-1 signature", GITHUB.secret, GITHUB.body, "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"],
    ["the hex without its sha256= prefix", GITHUB.secret, GITHUB.body, GITHUB.signature.slice(7)],
    ["a truncated signature", GITHUB.secret, GITHUB.body, GITHUB.signature.slice(0, 40)],
  ])("refuses %s", async (_what, secret, body, signature) => {
    const verdict = await verifyGithubSignature(secret, bytes(body), signature);
    expect(verdict.ok).toBe(false);
  });
});

describe("verifySlackSignature", () => {
  it("refuses Slack's documented example as stale on today's clock", async () => {
    const verdict = await verifySlackSignature(SLACK.secret, bytes(SLACK.body), SLACK.timestamp, SLACK.signature, Date.UTC(2026, 11, 5));
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining("more than five minutes") });
  });

  it("accepts it with the clock at its own time, and up to five minutes either side", async () => {
    for (const skew of [0, 299_000, -299_000]) {
      expect(await verifySlackSignature(SLACK.secret, bytes(SLACK.body), SLACK.timestamp, SLACK.signature, SLACK_TIME_MS + skew)).toEqual({ ok: true });
    }
  });

  it.each([
    ["five minutes and a second late", SLACK.body, SLACK.timestamp, SLACK.signature, SLACK_TIME_MS + 301_000],
    ["five minutes and a second early (from the future)", SLACK.body, SLACK.timestamp, SLACK.signature, SLACK_TIME_MS - 301_000],
    ["one byte of the body changed", SLACK.body.replace("foobar", "foobaz"), SLACK.timestamp, SLACK.signature, SLACK_TIME_MS],
    ["the timestamp changed (and so the signed base string)", SLACK.body, "1531420619", SLACK.signature, SLACK_TIME_MS],
    ["no timestamp", SLACK.body, undefined, SLACK.signature, SLACK_TIME_MS],
    ["a timestamp that is not a number", SLACK.body, "soon", SLACK.signature, SLACK_TIME_MS],
    ["no signature", SLACK.body, SLACK.timestamp, undefined, SLACK_TIME_MS],
    ["another version prefix", SLACK.body, SLACK.timestamp, SLACK.signature.replace("v0=", "v1="), SLACK_TIME_MS],
  ])("refuses %s", async (_what, body, timestamp, signature, now) => {
    expect((await verifySlackSignature(SLACK.secret, bytes(body), timestamp, signature, now)).ok).toBe(false);
  });
});
