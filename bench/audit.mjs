// What the security audit log costs the sign-in: POST /api/auth/login on this bundle (which writes an audit row per
// sign-in) next to the same route on the bundle of the commit before the audit log existed, both running in the same
// run, interleaved request by request so both see the same machine load; and the bare route as the floor.
import { summarize } from "./stats.mjs";

/** The last commit without the audit log. */
export const AUDIT_BASELINE = "652b9eb";
const SAMPLES = Number(process.env.BENCH_AUDIT_SAMPLES ?? 300);
const WARMUP = 20;
const USERS = 8;
const PASSWORD = "bench password 123";

const randomIp = () => `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

async function users(base) {
  const emails = [];
  for (let i = 0; i < USERS; i++) {
    const email = `audit-bench-${Date.now()}-${i}-${Math.random().toString(36).slice(2, 6)}@example.test`;
    const res = await fetch(`${base}/api/auth/register`, { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() }, body: JSON.stringify({ email, password: PASSWORD }) });
    if (res.status !== 201) throw new Error(`register → ${res.status} ${await res.text()}`);
    emails.push(email);
  }
  return emails;
}

async function login(base, email) {
  const t = performance.now();
  // A fresh address each time, and the accounts taken in turn: the login rate limits (per address, per account) never trip.
  const res = await fetch(`${base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() }, body: JSON.stringify({ email, password: PASSWORD }) });
  await res.text();
  if (res.status !== 200) throw new Error(`login → ${res.status}`);
  return performance.now() - t;
}

export async function auditBench(current, baseline, progress) {
  progress(`audit: ${SAMPLES} sign-ins with the audit log and without (${baseline ? baseline.commit.slice(0, 12) : "no baseline"}), interleaved`);
  const withAudit = [];
  const without = [];
  const bare = [];
  const mine = await users(current.url);
  const theirs = baseline ? await users(baseline.url) : [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const t = performance.now();
    await (await fetch(`${current.url}/api/bench-floor`, { method: "POST" })).text();
    const b = performance.now() - t;
    const a = await login(current.url, mine[i % USERS]);
    const w = baseline ? await login(baseline.url, theirs[i % USERS]) : undefined;
    if (i >= WARMUP) (bare.push(b), withAudit.push(a), w !== undefined && without.push(w));
  }
  const audited = summarize(withAudit);
  const plain = without.length ? summarize(without) : null;
  return {
    measuredAt: new Date().toISOString(),
    method:
      `bundled workers in Miniflare, this checkout and the commit before the audit log (${baseline ? baseline.commit : "skipped"}), ${SAMPLES} rounds after ${WARMUP} warm-up rounds, one request at a time: ` +
      `the bare route, a sign-in on this bundle (PBKDF2, the login row, the refresh token, one audit row), a sign-in on the baseline bundle; ${USERS} accounts per bundle in turn, a fresh address per request; milliseconds`,
    baselineCommit: baseline?.commit ?? null,
    bareRoute: summarize(bare),
    loginWithAudit: audited,
    loginWithoutAudit: plain,
    p95AddedMs: plain ? Math.round((audited.p95 - plain.p95) * 100) / 100 : null,
    p50AddedMs: plain ? Math.round((audited.p50 - plain.p50) * 100) / 100 : null,
  };
}

export function printAuditTables(a, printTable) {
  printTable([
    ["POST /api/auth/login (ms)", "samples", "p50", "p95", "max"],
    ["floor: HTTP → worker → unrouted path", ...Object.values(a.bareRoute).map(String)],
    ["sign-in without the audit log (baseline)", ...(a.loginWithoutAudit ? Object.values(a.loginWithoutAudit).map(String) : ["-", "-", "-", "-"])],
    ["sign-in with the audit row", ...Object.values(a.loginWithAudit).map(String)],
  ]);
  console.log(a.p95AddedMs === null ? "\n(no baseline: nothing to compare)\n" : `\nthe audit row adds ${a.p50AddedMs} ms at p50 and ${a.p95AddedMs} ms at p95\n`);
}
