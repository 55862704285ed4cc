import { Hono } from "hono";
import { decodeBase64 } from "../../crypto";
import { database } from "../../db/client";
import type { SandboxApiBindings } from "../types";
import { githubValidation, notFound } from "./failures";
import { apiBase, ownRepo, problemsParsingJson, readJson, writableRepo, type GithubContext } from "./github-http";
import {
  BLOB,
  COMMIT,
  createBlob,
  createCommit,
  createTree,
  getObject,
  getRef,
  insertRef,
  isAncestor,
  setRef,
  TREE,
  type BlobData,
  type CommitData,
  type TreeData,
  type TreeEntry,
} from "./github-store";

/** The Git Data API (`/repos/{owner}/{repo}/git/...`): blobs, trees, commits and refs, as Octokit's `git.*` calls use them. */

const SHA = /^[0-9a-f]{40}$/;

function renderRef(c: GithubContext, repo: string, ref: string, sha: string) {
  return {
    ref,
    node_id: `REF_${sha.slice(0, 12)}`,
    url: `${apiBase(c)}/repos/${repo}/git/${ref}`,
    object: { sha, type: "commit", url: `${apiBase(c)}/repos/${repo}/git/commits/${sha}` },
  };
}

function renderCommit(c: GithubContext, repo: string, sha: string, data: CommitData) {
  const url = (kind: string, s: string) => `${apiBase(c)}/repos/${repo}/git/${kind}/${s}`;
  return {
    sha,
    node_id: `C_${sha.slice(0, 12)}`,
    url: url("commits", sha),
    html_url: `${new URL(c.req.url).origin}/sandbox/github/web/${repo}/commit/${sha}`,
    message: data.message,
    author: data.author,
    committer: data.author,
    tree: { sha: data.tree, url: url("trees", data.tree) },
    parents: data.parents.map((p) => ({ sha: p, url: url("commits", p) })),
    verification: { verified: false, reason: "unsigned", signature: null, payload: null },
  };
}

export const githubGit = new Hono<SandboxApiBindings>()
  .post("/blobs", async (c) => {
    const repo = await writableRepo(c);
    if (repo instanceof Response) return repo;
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    if (typeof body.content !== "string") return githubValidation(c, "Blob", "content");
    const encoding = body.encoding ?? "utf-8";
    const bytes = encoding === "base64" ? decodeBase64(body.content) : encoding === "utf-8" ? new TextEncoder().encode(body.content) : undefined;
    if (!bytes) return githubValidation(c, "Blob", "encoding", "invalid");
    const sha = await createBlob(database(c.env), c.get("account").id, repo.key, bytes);
    return c.json({ sha, url: `${apiBase(c)}/repos/${repo.key}/git/blobs/${sha}` }, 201);
  })
  .get("/blobs/:sha", async (c) => {
    const repo = await ownRepo(c);
    const rec = repo && (await getObject<BlobData>(database(c.env), c.get("account").id, BLOB, repo.key, c.req.param("sha")));
    if (!repo || !rec) return notFound(c, "github");
    return c.json({ sha: c.req.param("sha"), ...rec.data, url: `${apiBase(c)}/repos/${repo.key}/git/blobs/${c.req.param("sha")}` });
  })
  .post("/trees", async (c) => {
    const repo = await writableRepo(c);
    if (repo instanceof Response) return repo;
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    if (!Array.isArray(body.tree)) return githubValidation(c, "Tree", "tree");
    const db = database(c.env);
    const accountId = c.get("account").id;
    const entries = new Map<string, TreeEntry>();
    if (body.base_tree !== undefined) {
      const base = typeof body.base_tree === "string" ? await getObject<TreeData>(db, accountId, TREE, repo.key, body.base_tree) : undefined;
      if (!base) return githubValidation(c, "Tree", "base_tree", "invalid");
      for (const e of base.data.tree) entries.set(e.path, e);
    }
    for (const raw of body.tree as Array<Record<string, unknown>>) {
      const path = typeof raw?.path === "string" ? raw.path : "";
      if (!path || path.startsWith("/") || path.split("/").some((p) => p === "" || p === "." || p === "..")) {
        return githubValidation(c, "Tree", "path", "invalid");
      }
      const mode = typeof raw.mode === "string" ? raw.mode : "100644";
      if (raw.sha === null) {
        entries.delete(path);
        continue;
      }
      if (typeof raw.content === "string") {
        const bytes = new TextEncoder().encode(raw.content);
        entries.set(path, { path, mode, type: "blob", sha: await createBlob(db, accountId, repo.key, bytes), size: bytes.length });
      } else if (typeof raw.sha === "string" && SHA.test(raw.sha)) {
        const blob = await getObject<BlobData>(db, accountId, BLOB, repo.key, raw.sha);
        if (!blob) return githubValidation(c, "Tree", "sha", "invalid");
        entries.set(path, { path, mode, type: "blob", sha: raw.sha, size: blob.data.size });
      } else {
        return githubValidation(c, "Tree", "sha", "missing_field");
      }
    }
    const { sha, tree } = await createTree(db, accountId, repo.key, [...entries.values()]);
    return c.json({ sha, url: `${apiBase(c)}/repos/${repo.key}/git/trees/${sha}`, tree, truncated: false }, 201);
  })
  .get("/trees/:sha", async (c) => {
    const repo = await ownRepo(c);
    const rec = repo && (await getObject<TreeData>(database(c.env), c.get("account").id, TREE, repo.key, c.req.param("sha")));
    if (!repo || !rec) return notFound(c, "github");
    return c.json({ sha: c.req.param("sha"), url: `${apiBase(c)}/repos/${repo.key}/git/trees/${c.req.param("sha")}`, tree: rec.data.tree, truncated: false });
  })
  .post("/commits", async (c) => {
    const repo = await writableRepo(c);
    if (repo instanceof Response) return repo;
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    if (typeof body.message !== "string" || !body.message) return githubValidation(c, "Commit", "message");
    if (typeof body.tree !== "string") return githubValidation(c, "Commit", "tree");
    const db = database(c.env);
    const account = c.get("account");
    if (!(await getObject(db, account.id, TREE, repo.key, body.tree))) return githubValidation(c, "Commit", "tree", "invalid");
    const parents = Array.isArray(body.parents) ? body.parents : [];
    for (const p of parents) {
      if (typeof p !== "string" || !(await getObject(db, account.id, COMMIT, repo.key, p))) return githubValidation(c, "Commit", "parents", "invalid");
    }
    const author = body.author as { name?: unknown; email?: unknown } | undefined;
    const data: CommitData = {
      message: body.message,
      tree: body.tree,
      parents: parents as string[],
      author: {
        name: typeof author?.name === "string" ? author.name : account.name,
        email: typeof author?.email === "string" ? author.email : account.email,
        date: new Date().toISOString(),
      },
    };
    const sha = await createCommit(db, account.id, repo.key, data);
    return c.json(renderCommit(c, repo.key, sha, data), 201);
  })
  .get("/commits/:sha", async (c) => {
    const repo = await ownRepo(c);
    const rec = repo && (await getObject<CommitData>(database(c.env), c.get("account").id, COMMIT, repo.key, c.req.param("sha")));
    if (!repo || !rec) return notFound(c, "github");
    return c.json(renderCommit(c, repo.key, c.req.param("sha"), rec.data));
  })
  // `GET /git/ref/heads/main` (Octokit getRef) and the older `GET /git/refs/heads/main`.
  .get("/:kind{refs?}/:name{.+}", async (c) => {
    const repo = await ownRepo(c);
    if (!repo) return notFound(c, "github");
    const ref = `refs/${c.req.param("name")}`;
    const rec = await getRef(database(c.env), c.get("account").id, repo.key, ref);
    return rec ? c.json(renderRef(c, repo.key, ref, rec.data.sha)) : notFound(c, "github");
  })
  .post("/refs", async (c) => {
    const repo = await writableRepo(c);
    if (repo instanceof Response) return repo;
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    const ref = typeof body.ref === "string" ? body.ref : "";
    if (!/^refs\/(heads|tags)\/[^\s~^:?*[\\]+$/.test(ref) || ref.includes("..") || ref.endsWith("/")) {
      return githubValidation(c, "Reference", "ref", "invalid", "ref must be refs/heads/… or refs/tags/…");
    }
    const sha = typeof body.sha === "string" ? body.sha : "";
    const db = database(c.env);
    const account = c.get("account");
    if (!(await getObject(db, account.id, COMMIT, repo.key, sha))) return githubValidation(c, "Reference", "sha", "invalid", "Object does not exist");
    const created = await insertRef(db, account.id, repo.key, ref, sha);
    if (!created) return githubValidation(c, "Reference", "ref", "already_exists", "Reference already exists");
    return c.json(renderRef(c, repo.key, ref, sha), 201);
  })
  .patch("/refs/:name{.+}", async (c) => {
    const repo = await writableRepo(c);
    if (repo instanceof Response) return repo;
    const body = await readJson(c);
    if (!body) return problemsParsingJson(c);
    const ref = `refs/${c.req.param("name")}`;
    const sha = typeof body.sha === "string" ? body.sha : "";
    const db = database(c.env);
    const account = c.get("account");
    const current = await getRef(db, account.id, repo.key, ref);
    if (!current) return githubValidation(c, "Reference", "ref", "invalid", "Reference does not exist");
    const commit = await getObject<CommitData>(db, account.id, COMMIT, repo.key, sha);
    if (!commit) return githubValidation(c, "Reference", "sha", "invalid", "Object does not exist");
    // Without force, GitHub only moves a branch forward: the new commit must descend from the current tip.
    if (body.force !== true && !(await isAncestor(db, account.id, repo.key, current.data.sha, sha))) {
      return githubValidation(c, "Reference", "sha", "custom", "Update is not a fast forward");
    }
    await setRef(db, account.id, repo.key, ref, sha);
    return c.json(renderRef(c, repo.key, ref, sha));
  });
