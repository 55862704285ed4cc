import type { Database } from "../../db/client";
import { getSandboxAccount, insertTokens } from "../../db/sandbox";
import type { SandboxGroup } from "../catalog";
import { randomToken, sha256Hex } from "../crypto";
import { SLACK_TEAM, slackUserId } from "../identity";

/** Token shapes of the real providers, so logs and UIs that sniff prefixes behave the same. */
const PREFIX: Record<SandboxGroup, { access: string; refresh: string }> = {
  google: { access: "ya29.sbx-", refresh: "1//sbx-" },
  slack: { access: "xoxp-sbx-", refresh: "xoxe-1-sbx-" },
  github: { access: "gho_sbx", refresh: "ghr_sbx" },
};

export interface Grant {
  group: SandboxGroup;
  grantId: string;
  clientId: string;
  accountId: string;
  scope: string;
}

/** A new access and refresh token for a grant, stored only as hashes, rendered like the provider's token response. */
export async function issueTokens(db: Database, grant: Grant, ttlSeconds: number, now: Date) {
  const accessToken = randomToken(PREFIX[grant.group].access);
  const refreshToken = randomToken(PREFIX[grant.group].refresh);
  const common = {
    providerGroup: grant.group,
    grantId: grant.grantId,
    clientId: grant.clientId,
    accountId: grant.accountId,
    scope: grant.scope,
    createdAt: now,
    revokedAt: null,
  };
  await insertTokens(db, [
    { ...common, tokenHash: await sha256Hex(accessToken), kind: "access", expiresAt: new Date(now.getTime() + ttlSeconds * 1000) },
    { ...common, tokenHash: await sha256Hex(refreshToken), kind: "refresh", expiresAt: null },
  ]);
  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: ttlSeconds,
    refresh_token: refreshToken,
    scope: grant.scope,
  };
  if (grant.group === "slack") {
    const account = await getSandboxAccount(db, grant.accountId);
    Object.assign(body, {
      ok: true,
      token_type: "user",
      team: { id: SLACK_TEAM.id, name: SLACK_TEAM.name },
      authed_user: account ? { id: slackUserId(account) } : undefined,
    });
  }
  return body;
}
