// The knowledge base over the real stack (the bundled worker in Miniflare: routes, the KB_INDEX queue and its
// consumer, D1 with FTS5, R2, the local vector index Durable Object):
//  - ingest: Markdown prose uploaded as files and indexed by the queue (extract → chunk → embed → index → commit),
//    MB of text per second from the first upload to the last document indexed;
//  - search at 1k, 10k and 100k chunks (one user each) in every mode, from Node over HTTP, next to a bare route;
//  - recall@10 of the local vector index against an exact brute-force scan computed here in Node over the same
//    chunk texts with the same embedder (bundled from worker/kb/embed/local.ts).
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { round2, seededRandom, summarize } from "./stats.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
export const KB_SCALES = (process.env.BENCH_KB_SCALES ?? "1000,10000,100000").split(",").map(Number);
const SEARCHES = Number(process.env.BENCH_KB_SEARCHES ?? 200);
const RECALL_QUERIES = Number(process.env.BENCH_KB_RECALL ?? 100);
const INGEST_MB = Number(process.env.BENCH_KB_INGEST_MB ?? 8);
/** Sections per synthetic document in the scale runs: each heading starts a chunk, so a document is this many chunks. */
const SECTIONS_PER_DOC = 1000;
const TARGETS = { hybridP95MsAt10k: 30, recallAt10: 0.98, ingestMBps: 2 };

/**
 * 5,000 English-shaped words: common nouns, then their inflections and compounds (so a query word has
 * relatives, as in real text). Real words matter: the tokenizer splits made-up syllables into many more
 * tokens per byte than prose, which would make chunks (and the cost per MB) unrealistic.
 */
const COMMON =
  "time year people way day man thing woman life child world school state family student group country problem hand part place case week company " +
  "system program question work government number night point home water room mother area money story fact month lot right study book eye job word " +
  "business issue side kind head house service friend father power hour game line end member law car city community name president team minute idea " +
  "body information back parent face level office door health person art war history party result change morning reason research girl guy moment air " +
  "teacher force education harbour lighthouse orchard garden river bridge market station engine signal harvest winter summer letter ledger invoice " +
  "report meeting budget project contract customer product order shipment warehouse schedule deadline review release feature design network server";
function vocabulary(rand) {
  const base = COMMON.split(" ");
  const suffixes = ["s", "ing", "ed", "er", "ness", "ful", "ly", "less"];
  const words = new Set(base);
  while (words.size < 5000) {
    const a = base[Math.floor(rand() * base.length)];
    const b = base[Math.floor(rand() * base.length)];
    words.add(rand() < 0.6 ? `${a}${suffixes[Math.floor(rand() * suffixes.length)]}` : `${a}${b}`);
  }
  return [...words];
}

function zipfPicker(words, rand) {
  return () => words[Math.min(words.length - 1, Math.floor(words.length * rand() ** 3))];
}

function sentence(pick, rand, min = 8, max = 20) {
  const n = min + Math.floor(rand() * (max - min));
  const s = Array.from({ length: n }, pick).join(" ");
  return `${s[0].toUpperCase()}${s.slice(1)}.`;
}

/** Realistic-shaped prose: headings, paragraphs of several sentences. */
function proseDocument(pick, rand, bytes) {
  const parts = [`# Report ${Math.floor(rand() * 1e6)}`];
  let size = parts[0].length;
  while (size < bytes) {
    const block = rand() < 0.1 ? `## ${sentence(pick, rand, 2, 5).slice(0, -1)}` : Array.from({ length: 3 + Math.floor(rand() * 5) }, () => sentence(pick, rand)).join(" ");
    parts.push(block);
    size += block.length + 2;
  }
  return parts.join("\n\n");
}

/** One chunk per section: a heading and a sentence, so 100k chunks are ~10 MB rather than ~200 MB of prose. */
function sectionedDocument(pick, rand, sections, offset) {
  return Array.from({ length: sections }, (_, i) => `## Note ${offset + i}\n\n${sentence(pick, rand, 10, 18)}`).join("\n\n");
}

async function call(base, path, { token, body, method = "POST", form } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: form ?? (body ? JSON.stringify(body) : undefined),
  });
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

async function uploadFile(base, token, name, text) {
  const form = new FormData();
  form.set("file", new File([text], name, { type: "text/markdown" }));
  return (await call(base, "/api/kb/documents", { token, form })).document;
}

/** Polls the document list until every document is indexed (or one failed), returning when the last one committed. */
async function waitIndexed(base, token, ids, progress) {
  const want = new Set(ids);
  let lastReport = 0;
  for (;;) {
    const { documents } = await call(base, "/api/kb/documents", { token, method: "GET" });
    const mine = documents.filter((d) => want.has(d.id));
    const failed = mine.find((d) => d.status === "failed");
    if (failed) throw new Error(`document ${failed.title} failed: ${failed.error}`);
    const done = mine.filter((d) => d.status === "indexed");
    if (done.length === want.size) return { at: performance.now(), chunks: done.reduce((n, d) => n + d.chunks, 0) };
    if (performance.now() - lastReport > 5000) {
      progress(`  ${done.length}/${want.size} documents indexed`);
      lastReport = performance.now();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function loadEmbedder() {
  const dir = mkdtempSync(join(tmpdir(), "taskpilot-bench-kb-"));
  const outfile = join(dir, "embed.mjs");
  try {
    await build({
      stdin: { contents: `export { LocalEmbedder } from "./worker/kb/embed/local.ts";`, resolveDir: join(HERE, ".."), loader: "ts" },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile,
      logLevel: "error",
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function ingestBench(base, token, pick, rand, progress) {
  const docs = Array.from({ length: INGEST_MB }, (_, i) => ({ name: `report-${i + 1}.md`, text: proseDocument(pick, rand, 1024 * 1024) }));
  const bytes = docs.reduce((n, d) => n + new TextEncoder().encode(d.text).byteLength, 0);
  progress(`ingest: ${docs.length} documents, ${round2(bytes / 1e6)} MB of Markdown`);
  const started = performance.now();
  const ids = [];
  for (const d of docs) ids.push((await uploadFile(base, token, d.name, d.text)).id);
  const { at, chunks } = await waitIndexed(base, token, ids, progress);
  const seconds = (at - started) / 1000;
  return { documents: docs.length, megabytes: round2(bytes / 1e6), chunks, seconds: round2(seconds), megabytesPerSecond: round2(bytes / 1e6 / seconds) };
}

/** Loads `chunks` chunks for a fresh user through the real upload path; returns the user and the chunk texts by id. */
async function corpus(base, register, pick, rand, chunks, progress) {
  const { accessToken: token } = await register(base);
  const ids = [];
  progress(`corpus of ${chunks} chunks: uploading`);
  for (let offset = 0; offset < chunks; offset += SECTIONS_PER_DOC) {
    const sections = Math.min(SECTIONS_PER_DOC, chunks - offset);
    ids.push((await uploadFile(base, token, `notes-${offset}.md`, sectionedDocument(pick, rand, sections, offset))).id);
  }
  const { chunks: indexed } = await waitIndexed(base, token, ids, progress);
  const texts = new Map();
  for (const id of ids) {
    const detail = await call(base, `/api/kb/documents/${id}`, { token, method: "GET" });
    for (const c of detail.chunks) texts.set(c.id, detail.text.slice(c.start, c.end));
  }
  return { token, indexed, texts };
}

function queries(pick, rand, n) {
  return Array.from({ length: n }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, pick).join(" "));
}

async function timedSearches(base, token, list, mode) {
  const client = [];
  const server = [];
  for (const query of list) {
    const t = performance.now();
    const body = await call(base, "/api/kb/search", { token, body: { query, mode, topK: 10 } });
    client.push(performance.now() - t);
    server.push(body.tookMs);
  }
  return { http: summarize(client), server: summarize(server) };
}

async function bareRoute(base, n) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await (await fetch(`${base}/api/bench-floor`, { method: "POST" })).text();
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

/** Exact top 10 by cosine over all chunk vectors (normalised, so a dot product), in Node: the ground truth for recall. */
function bruteForceTop10(vectors, query) {
  const scored = [];
  for (const [id, v] of vectors) {
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += v[i] * query[i];
    scored.push([id, dot]);
  }
  scored.sort((a, b) => b[1] - a[1]);
  return scored.slice(0, 10).map(([id]) => id);
}

async function recallAt10(base, token, texts, embedder, list) {
  const ids = [...texts.keys()];
  const vectors = new Map();
  for (let i = 0; i < ids.length; i += 512) {
    const batch = ids.slice(i, i + 512);
    const values = await embedder.embed(batch.map((id) => texts.get(id)));
    batch.forEach((id, j) => vectors.set(id, values[j]));
  }
  let hits = 0;
  let scanMs = 0;
  for (const query of list) {
    const { results } = await call(base, "/api/kb/search", { token, body: { query, mode: "vector", topK: 10 } });
    const [q] = await embedder.embed([query]);
    const t = performance.now();
    const truth = new Set(bruteForceTop10(vectors, q));
    scanMs += performance.now() - t;
    hits += results.filter((r) => truth.has(r.chunkId)).length;
  }
  return { queries: list.length, recall: round2(hits / (list.length * 10)), nodeExactScanMsPerQuery: round2(scanMs / list.length) };
}

export async function kbBench(server, register, progress) {
  const rand = seededRandom(20261205);
  const pick = zipfPicker(vocabulary(rand), rand);
  const { LocalEmbedder } = await loadEmbedder();
  const embedder = new LocalEmbedder();
  const { accessToken } = await register(server.url);
  const ingest = await ingestBench(server.url, accessToken, pick, rand, progress);
  const scales = [];
  for (const size of KB_SCALES) {
    const { token, indexed, texts } = await corpus(server.url, register, pick, rand, size, progress);
    const list = queries(pick, rand, SEARCHES);
    progress(`search at ${indexed} chunks: ${SEARCHES} queries per mode`);
    const floor = await bareRoute(server.url, SEARCHES);
    const modes = {};
    for (const mode of ["keyword", "vector", "hybrid"]) modes[mode] = await timedSearches(server.url, token, list, mode);
    progress(`recall@10 at ${indexed} chunks`);
    const recall = await recallAt10(server.url, token, texts, embedder, queries(pick, rand, RECALL_QUERIES));
    scales.push({ chunks: indexed, bareRoute: floor, modes, recallAt10: recall, hybridP95OverFloor: round2(modes.hybrid.http.p95 / floor.p95) });
  }
  const at10k = scales.find((s) => s.chunks === 10000);
  const minRecall = Math.min(...scales.map((s) => s.recallAt10.recall));
  return {
    measuredAt: new Date().toISOString(),
    method:
      "bundled worker in Miniflare with the kb-index queue consumer, D1 (FTS5), R2 and the local vector index Durable Object; one request at a time from Node on 127.0.0.1. " +
      `ingest: ${INGEST_MB} Markdown files of 1 MB of generated prose (headings, paragraphs) uploaded as multipart files; MB/s = bytes ÷ time from the first upload to the last document indexed (polled every 50 ms). ` +
      `scale runs: one user per size, documents of up to ${SECTIONS_PER_DOC} short sections (a heading and a 10–18-word sentence each: one chunk per section) uploaded and indexed through the same path; ` +
      `${SEARCHES} queries of 2–4 words drawn from the corpus vocabulary (Zipf-skewed), topK 10, per mode; http = client-side round trip, server = the response's tookMs; ` +
      "floor = POST to an unrouted /api path (every middleware, no auth, no storage) in the same run. " +
      "recall@10: the vector mode's top 10 against an exact scan in Node over the same chunk texts embedded with the same local embedder. The local index is itself an exact scan, so recall below 1 can come only from ties.",
    embedder: { id: embedder.id, dimensions: embedder.dimensions },
    ingest,
    scales,
    targets: {
      ...TARGETS,
      hybridP95MsAt10kMeasured: at10k ? at10k.modes.hybrid.http.p95 : null,
      recallMeasured: minRecall,
      met: {
        hybridP95At10k: at10k ? at10k.modes.hybrid.http.p95 <= TARGETS.hybridP95MsAt10k : null,
        recallAt10: minRecall >= TARGETS.recallAt10,
        ingest: ingest.megabytesPerSecond >= TARGETS.ingestMBps,
      },
    },
  };
}

export function printKbTables(kb, printTable) {
  printTable([
    ["knowledge base: search (topK 10)", "chunks", "mode", "http p50", "http p95", "server p50", "server p95", "floor p95", "recall@10"],
    ...kb.scales.flatMap((s) =>
      ["keyword", "vector", "hybrid"].map((mode) => [
        "",
        String(s.chunks),
        mode,
        String(s.modes[mode].http.p50),
        String(s.modes[mode].http.p95),
        String(s.modes[mode].server.p50),
        String(s.modes[mode].server.p95),
        String(s.bareRoute.p95),
        mode === "vector" ? String(s.recallAt10.recall) : "",
      ]),
    ),
  ]);
  console.log(
    `\ningest: ${kb.ingest.megabytes} MB in ${kb.ingest.seconds} s = ${kb.ingest.megabytesPerSecond} MB/s (${kb.ingest.chunks} chunks, embedder ${kb.embedder.id})` +
      `\ntargets: hybrid p95 ≤ ${kb.targets.hybridP95MsAt10k} ms at 10k → ${kb.targets.hybridP95MsAt10kMeasured} ms; recall@10 ≥ ${kb.targets.recallAt10} → ${kb.targets.recallMeasured}; ingest ≥ ${kb.targets.ingestMBps} MB/s → ${kb.ingest.megabytesPerSecond}\n`,
  );
}
