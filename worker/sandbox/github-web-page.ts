import type { PullData } from "./api/github-store";
import { escape, page } from "./oauth/consent-page";

/** The HTML of the sandbox GitHub's pull request page (server-rendered, no script; every value escaped). */

/** What became of the `pull_request` delivery the page's last Merge or Close sent TaskPilot. */
export interface DeliveryNote {
  at: string;
  action: "merged" | "closed";
  /** The status TaskPilot's `POST /webhooks/github` answered. */
  status?: number;
  /** The `X-GitHub-Delivery` id sent. */
  delivery?: string;
  /** Why nothing was sent. */
  skipped?: "no_secret";
}

export interface PullView {
  repo: string;
  pull: PullData;
  shas: { head: string; base: string };
  files: string[];
  /** The page's own path; the forms post to `{path}/merge` and `{path}/close`. */
  path: string;
  note?: DeliveryNote;
  error?: string;
}

const STYLE = `
main{width:min(48rem,calc(100vw - 2rem))}
h1 .num{color:#6b7280;font-weight:400}
h2{font-size:1rem;margin:1.5rem 0 .5rem}
.meta{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:0 0 .5rem}
.state{color:#fff;font-weight:600;font-size:.875rem;border-radius:999px;padding:.15rem .75rem}
.state.open{background:#1a7f37}.state.merged{background:#8250df}.state.closed{background:#cf222e}
code{font:.875rem ui-monospace,SFMono-Regular,Menlo,monospace;background:#f3f4f6;border-radius:4px;padding:.1rem .3rem}
pre{white-space:pre-wrap;word-break:break-word;background:#f9fafb;border:1px solid #e5e7eb;border-radius:8px;padding:.75rem;margin:0;font:.875rem/1.5 ui-monospace,SFMono-Regular,Menlo,monospace}
ul.files{list-style:none;padding:0}
ul.files li{border-bottom:1px solid #f3f4f6;padding:.25rem 0}
p.status{background:#f0f9ff;border:1px solid #bae6fd;border-radius:8px;padding:.5rem .75rem;font-size:.875rem}
form{display:inline}
`;

const short = (sha: string) => escape(sha.slice(0, 7));

function stateOf(p: PullData): { label: string; css: string; line: string } {
  if (p.merged) {
    return { label: "Merged", css: "merged", line: `Merged as <code>${short(p.merge_commit_sha ?? "")}</code> at <time>${escape(p.merged_at ?? "")}</time>.` };
  }
  if (p.state === "open") return { label: "Open", css: "open", line: "Open: it can be merged or closed below." };
  return { label: "Closed", css: "closed", line: `Closed without merging at <time>${escape(p.closed_at ?? "")}</time>.` };
}

function deliveryLine(note: DeliveryNote): string {
  if (note.skipped) return "No GITHUB_WEBHOOK_SECRET is set, so TaskPilot was not told.";
  const accepted = note.status !== undefined && note.status >= 200 && note.status < 300;
  return (
    `TaskPilot was told: a signed <code>pull_request</code> delivery (${escape(note.action)}) to <code>POST /webhooks/github</code> ` +
    `was answered <strong>${escape(String(note.status))}</strong>${accepted ? "" : " (not accepted)"}. ` +
    `Delivery <code>${escape(note.delivery ?? "")}</code>.`
  );
}

export function pullPage(v: PullView): string {
  const p = v.pull;
  const owner = v.repo.split("/")[0] ?? "";
  const state = stateOf(p);
  const files = v.files.length
    ? `<ul class="files">${v.files.map((f) => `<li><code>${escape(f)}</code></li>`).join("")}</ul>`
    : `<p class="note">No files changed.</p>`;
  const actions =
    p.state === "open"
      ? `<div class="actions">
<form method="post" action="${escape(v.path)}/close"><button type="submit" class="deny">Close pull request</button></form>
<form method="post" action="${escape(v.path)}/merge"><input type="hidden" name="sha" value="${escape(v.shas.head)}"><button type="submit" class="allow">Merge pull request</button></form>
</div>`
      : "";
  return page(
    "github",
    `${p.title} · Pull Request #${p.number} · ${v.repo}`,
    `<h1>${escape(p.title)} <span class="num">#${p.number}</span></h1>
<p class="meta"><span class="state ${state.css}">${state.label}</span>
<code>${escape(owner)}:${escape(p.head)}</code> → <code>${escape(p.base)}</code> in <strong>${escape(v.repo)}</strong></p>
<p class="note">${state.line} Head <code>${short(v.shas.head)}</code>, base <code>${short(v.shas.base)}</code>.</p>
${v.error ? `<p class="error" role="alert">${escape(v.error)}</p>` : ""}
${v.note ? `<p class="status" role="status">${deliveryLine(v.note)}</p>` : ""}
<h2>Description</h2>
<pre>${p.body ? escape(p.body) : "No description provided."}</pre>
<h2>Files changed (${v.files.length})</h2>
${files}
${actions}`,
    STYLE,
  );
}
