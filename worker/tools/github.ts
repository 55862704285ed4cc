import { z } from "zod";
import { githubClient } from "./clients/github";
import { defineTool, type ToolSource } from "./define";
import { clip, itemList, pageParams } from "./results";

/** GitHub tools through Octokit (./clients/github.ts). Results carry GitHub's `html_url`. */

const repoParam = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected owner/name")
  .max(200)
  .describe("owner/name");

function splitRepo(full: string) {
  const [owner = "", repo = ""] = full.split("/");
  return { owner, repo };
}

/** GitHub pages by number: the cursor is the next page, offered when a `Link: rel="next"` says so (or, without Link, when the page came back full). */
function nextPage(link: string | undefined, page: number, count: number, perPage: number): string | undefined {
  if (link !== undefined) return /rel="next"/.test(link) ? String(page + 1) : undefined;
  return count >= perPage ? String(page + 1) : undefined;
}

const pageOf = (cursor: string | undefined) => Math.max(1, Number.parseInt(cursor ?? "1", 10) || 1);

const listRepos = defineTool({
  name: "github.list_repos",
  description: "List GitHub repositories the user can access, most recently updated first.",
  parameters: z.object({
    visibility: z.enum(["all", "public", "private"]).default("all"),
    ...pageParams,
  }),
  async run(args, ctx) {
    const gh = githubClient(ctx.connection("github"));
    const page = pageOf(args.cursor);
    const res = await gh.call(false, (o) => o.rest.repos.listForAuthenticatedUser({ visibility: args.visibility, sort: "updated", per_page: args.limit, page }));
    const items = res.data.map((r) => ({
      fullName: r.full_name,
      ...(r.description ? { description: clip(r.description, 300).text } : {}),
      private: r.private,
      defaultBranch: r.default_branch,
      ...(r.updated_at ? { updatedAt: r.updated_at } : {}),
      source: { url: r.html_url, label: r.full_name },
    }));
    return itemList(items, args.limit, { cursor: nextPage(res.headers.link, page, res.data.length, args.limit) });
  },
});

const listIssues = defineTool({
  name: "github.list_issues",
  description: "List issues (not pull requests) of a GitHub repository, newest first.",
  parameters: z.object({
    repo: repoParam,
    state: z.enum(["open", "closed", "all"]).default("open"),
    ...pageParams,
  }),
  async run(args, ctx) {
    const gh = githubClient(ctx.connection("github"));
    const page = pageOf(args.cursor);
    const res = await gh.call(false, (o) =>
      o.rest.issues.listForRepo({ ...splitRepo(args.repo), state: args.state, sort: "created", direction: "desc", per_page: args.limit, page }),
    );
    // The issues API returns pull requests too; they are not what was asked for.
    const issues = res.data.filter((i) => !i.pull_request);
    const items = issues.map((i) => {
      const body = i.body ? clip(i.body, 500) : undefined;
      return {
        number: i.number,
        title: i.title,
        state: i.state,
        ...(i.labels.length ? { labels: i.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))).filter(Boolean) } : {}),
        ...(i.user?.login ? { author: i.user.login } : {}),
        createdAt: i.created_at,
        ...(body ? { body: body.text, ...(body.omittedChars ? { bodyOmittedChars: body.omittedChars } : {}) } : {}),
        source: { url: i.html_url, label: `${args.repo}#${i.number}` },
      };
    });
    return itemList(items, args.limit, { cursor: nextPage(res.headers.link, page, res.data.length, args.limit) });
  },
});

const createIssue = defineTool({
  name: "github.create_issue",
  description: "Open an issue in a GitHub repository. Only when the user asked for it.",
  parameters: z.object({
    repo: repoParam,
    title: z.string().min(1).max(256),
    body: z.string().max(20_000).optional(),
    labels: z.array(z.string().min(1).max(50)).max(10).optional(),
  }),
  async run(args, ctx) {
    const gh = githubClient(ctx.connection("github"));
    const res = await gh.call(true, (o) =>
      o.rest.issues.create({ ...splitRepo(args.repo), title: args.title, ...(args.body ? { body: args.body } : {}), ...(args.labels ? { labels: args.labels } : {}) }),
    );
    const i = res.data;
    return { number: i.number, title: i.title, state: i.state, source: { url: i.html_url, label: `${args.repo}#${i.number}` } };
  },
});

export const githubTools: ToolSource = {
  id: "github",
  integration: "github",
  tools: [listRepos, listIssues, createIssue],
};
