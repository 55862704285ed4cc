import { SANDBOX_SCOPES, type SandboxGroup } from "../catalog";

/** The consent and error pages of the sandbox authorization servers (server-rendered, no script); the page frame is shared with the sandbox GitHub's web pages. */

export const escape = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const ACCENT: Record<SandboxGroup, string> = { google: "#1a73e8", slack: "#4a154b", github: "#24292f" };
const BRAND: Record<SandboxGroup, string> = { google: "Sandbox Google", slack: "Sandbox Slack", github: "Sandbox GitHub" };

const STYLE = `
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f3f4f6;color:#111827;
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:min(28rem,calc(100vw - 2rem));background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002,0 8px 24px #0001;overflow:hidden}
header{padding:1rem 1.5rem;color:#fff;font-weight:600;display:flex;gap:.5rem;align-items:center}
.badge{font-size:.75rem;font-weight:500;background:#fff3;border-radius:999px;padding:.1rem .6rem;margin-left:auto}
section{padding:1.5rem}
h1{font-size:1.25rem;margin:0 0 1rem}
label{display:block;font-size:.875rem;color:#374151;margin-bottom:.25rem}
input[type=email]{width:100%;padding:.5rem .75rem;border:1px solid #d1d5db;border-radius:8px;font:inherit}
ul{padding-left:1.25rem;margin:.5rem 0 1rem}
li{margin:.25rem 0}
.scope{font-size:.75rem;color:#6b7280;word-break:break-all}
p.note{font-size:.875rem;color:#4b5563}
p.error{color:#b91c1c;font-size:.875rem}
.actions{display:flex;gap:.75rem;justify-content:flex-end;margin-top:1.25rem}
button{font:inherit;font-weight:600;padding:.55rem 1.25rem;border-radius:8px;cursor:pointer;border:1px solid transparent}
button.deny{background:#fff;border-color:#d1d5db;color:#111827}
button:focus-visible,input:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
`;

/** A sandbox page: `body` must be escaped HTML already; `extraStyle` is trusted CSS of the caller. */
export function page(group: SandboxGroup, title: string, body: string, extraStyle = ""): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>${escape(title)}</title>
<style>${STYLE}button.allow{background:${ACCENT[group]};color:#fff}header{background:${ACCENT[group]}}${extraStyle}</style>
</head>
<body>
<main>
<header><span>${BRAND[group]}</span><span class="badge">Local sandbox</span></header>
<section>${body}</section>
</main>
</body>
</html>`;
}

export interface ConsentView {
  group: SandboxGroup;
  heading: string;
  requestId: string;
  email: string;
  scopes: string[];
  redirectOrigin: string;
  error?: string;
}

export function consentPage(v: ConsentView): string {
  const scopeItems = v.scopes
    .map((s) => {
      const info = SANDBOX_SCOPES[v.group][s];
      return `<li>${escape(info?.description ?? s)}<br><span class="scope">${escape(s)}</span></li>`;
    })
    .join("");
  return page(
    v.group,
    v.heading,
    `<h1 id="consent-heading">${escape(v.heading)}</h1>
<form method="post" aria-labelledby="consent-heading">
<input type="hidden" name="request" value="${escape(v.requestId)}">
<label for="email">Signed in to ${BRAND[v.group]} as</label>
<input id="email" name="email" type="email" required maxlength="254" autocomplete="email" value="${escape(v.email)}">
${v.error ? `<p class="error" role="alert">${escape(v.error)}</p>` : ""}
<p>This will allow TaskPilot to:</p>
<ul>${scopeItems || "<li>Know who you are on this sandbox provider</li>"}</ul>
<p class="note">After you choose, you go back to <strong>${escape(v.redirectOrigin)}</strong>.
This sandbox is part of your local TaskPilot; no real account or data is involved.</p>
<div class="actions">
<button type="submit" name="decision" value="deny" class="deny">Deny</button>
<button type="submit" name="decision" value="allow" class="allow">Allow</button>
</div>
</form>`,
  );
}

/** Shown instead of redirecting when the redirect target itself cannot be trusted (RFC 6749 §4.1.2.1). */
export function errorPage(group: SandboxGroup, title: string, message: string): string {
  return page(group, title, `<h1>${escape(title)}</h1><p role="alert">${escape(message)}</p>`);
}
