import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, type AuditEntry } from "../../worker/contract/audit";
import { describeAudit, describeDevice } from "../../web/src/lib/audit-words";

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  id: "1",
  at: "2026-12-05T12:00:00.000Z",
  actor: { type: "user", id: "u" },
  subjectUserId: "u",
  action: "auth.login_succeeded",
  result: "success",
  code: null,
  ip: null,
  userAgent: null,
  requestId: null,
  detail: {},
  ...over,
});

describe("the Security section's words", () => {
  it.each([
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36", "Chrome on Linux"],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"],
    ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15", "Safari on macOS"],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0", "Edge on Windows"],
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1", "Safari on iOS"],
    ["curl/8.5.0", "curl"],
    ["something else", "an unknown device"],
  ])("%s → %s", (ua, words) => expect(describeDevice(ua)).toBe(words));

  it("says where a sign-in came from and on what", () => {
    expect(describeAudit(entry({ ip: "203.0.113.0/24", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0" }))).toBe("Signed in from 203.0.113.0/24, Chrome on Linux");
    expect(describeAudit(entry({ action: "integration.connected", detail: { provider: "gmail" } }))).toBe("Gmail connected");
    expect(describeAudit(entry({ action: "mcp.grant_approved", detail: { clientName: "Claude" } }))).toBe("Claude was given access to your tools");
  });

  it("has words for every action", () => {
    for (const action of AUDIT_ACTIONS) expect(describeAudit(entry({ action })), action).toMatch(/\w/);
  });
});
