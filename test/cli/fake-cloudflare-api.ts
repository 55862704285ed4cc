import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for the Cloudflare API (https://api.cloudflare.com/client/v4) holding, in memory, the
 * D1 databases, R2 buckets, KV namespaces, queues, Vectorize indexes and their metadata indexes of
 * one account. It serves only the endpoints wrangler calls for `d1 list/create`, `r2 bucket
 * list/create`, `kv namespace list/create`, `queues list/create` and `vectorize
 * list/create/list-metadata-index/create-metadata-index` (found by running wrangler against it:
 * anything else is answered 404 and kept in `unhandled`). Wrangler is pointed at it with
 * CLOUDFLARE_API_BASE_URL, so the real wrangler CLI runs unchanged.
 */
export interface FakeCloudflareApi {
  /** The value for CLOUDFLARE_API_BASE_URL. */
  baseUrl: string;
  accountId: string;
  token: string;
  state: {
    d1: Array<{ uuid: string; name: string }>;
    r2: Array<{ name: string }>;
    kv: Array<{ id: string; title: string }>;
    queues: Array<{ queue_id: string; queue_name: string }>;
    vectorize: Array<{ name: string; config: { dimensions: number; metric: string }; metadataIndexes: Array<{ propertyName: string; indexType: string }> }>;
  };
  /** Every request, as "METHOD /path" (without /client/v4/accounts/{id} and the query). */
  requests: string[];
  /** Requests no route answered. */
  unhandled: string[];
  /** Makes requests whose "METHOD /path" matches answer `status` with a Cloudflare error envelope. */
  failWhen(match: RegExp, status?: number): void;
  /** Ends every failWhen. */
  clearFailures(): void;
  /** The number of create (POST) requests that succeeded. */
  creates(): number;
  close(): Promise<void>;
}

interface Options {
  /** Page size of the queue list (the real API pages it too). */
  queuePageSize?: number;
}

export async function startFakeCloudflareApi(options: Options = {}): Promise<FakeCloudflareApi> {
  const accountId = "0123456789abcdef0123456789abcdef";
  const token = `fake-token-${randomUUID()}`;
  const state: FakeCloudflareApi["state"] = { d1: [], r2: [], kv: [], queues: [], vectorize: [] };
  const requests: string[] = [];
  const unhandled: string[] = [];
  const failures: Array<{ match: RegExp; status: number }> = [];
  let created = 0;
  const now = () => new Date().toISOString();
  const hex32 = () => randomUUID().replace(/-/g, "");

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const ok = (res: ServerResponse, result: unknown, resultInfo?: unknown) =>
    send(res, 200, { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) });
  const fail = (res: ServerResponse, status: number, code: number, message: string) =>
    send(res, status, { success: false, errors: [{ code, message }], messages: [], result: null });
  const page = <T>(items: T[], url: URL, defaultSize: number) => {
    const perPage = Number(url.searchParams.get("per_page") ?? defaultSize);
    const p = Number(url.searchParams.get("page") ?? 1);
    const slice = items.slice((p - 1) * perPage, p * perPage);
    return { slice, info: { page: p, per_page: perPage, count: slice.length, total_count: items.length, total_pages: Math.max(1, Math.ceil(items.length / perPage)) } };
  };

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    let body = "";
    for await (const chunk of req) body += chunk;
    return body ? (JSON.parse(body) as Record<string, unknown>) : {};
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const prefix = `/client/v4/accounts/${accountId}`;
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    const line = `${method} ${path}`;
    requests.push(line);

    if (req.headers.authorization !== `Bearer ${token}`) return fail(res, 401, 10000, "Authentication error");
    const failure = failures.find((f) => f.match.test(line));
    if (failure) return fail(res, failure.status, 7500, `Internal error (fake failure for ${line})`);
    if (!url.pathname.startsWith(prefix)) {
      unhandled.push(line);
      return fail(res, 404, 7003, `No route for that URI: ${line}`);
    }
    const body = method === "POST" ? await readJson(req) : {};
    let m: RegExpExecArray | null;

    if (line === "GET /d1/database") {
      const { slice, info } = page(state.d1.map((d) => ({ ...d, version: "production", created_at: now() })), url, 10);
      return ok(res, slice, info);
    }
    if (line === "POST /d1/database") {
      const name = String(body.name);
      if (state.d1.some((d) => d.name === name)) return fail(res, 400, 7502, "A database with that name already exists");
      const db = { uuid: randomUUID(), name };
      state.d1.push(db);
      created++;
      return ok(res, { ...db, created_at: now(), version: "production" });
    }
    if (line === "GET /r2/buckets") return ok(res, { buckets: state.r2.map((b) => ({ ...b, creation_date: now() })) });
    if (line === "POST /r2/buckets") {
      const name = String(body.name);
      if (state.r2.some((b) => b.name === name)) return fail(res, 409, 10004, "The bucket you tried to create already exists, and you own it.");
      state.r2.push({ name });
      created++;
      return ok(res, { name, creation_date: now(), location: "WNAM" });
    }
    if (line === "GET /storage/kv/namespaces") {
      const sorted = [...state.kv].sort((a, b) => a.title.localeCompare(b.title));
      const { slice, info } = page(sorted.map((k) => ({ ...k, supports_url_encoding: true })), url, 20);
      return ok(res, slice, info);
    }
    if (line === "POST /storage/kv/namespaces") {
      const title = String(body.title);
      if (state.kv.some((k) => k.title === title)) return fail(res, 400, 10014, "a namespace with this account ID and title already exists");
      const ns = { id: hex32(), title };
      state.kv.push(ns);
      created++;
      return ok(res, { ...ns, supports_url_encoding: true });
    }
    if (line === "GET /queues") {
      const name = url.searchParams.getAll("name");
      const all = state.queues.filter((q) => name.length === 0 || name.includes(q.queue_name));
      const { slice, info } = page(all.map((q) => ({ ...q, created_on: now(), modified_on: now(), producers_total_count: 0, consumers_total_count: 0, producers: [], consumers: [] })), url, options.queuePageSize ?? 100);
      return ok(res, slice, info);
    }
    if (line === "POST /queues") {
      const name = String(body.queue_name);
      if (state.queues.some((q) => q.queue_name === name)) return fail(res, 409, 11009, "Queue name already taken");
      const q = { queue_id: hex32(), queue_name: name };
      state.queues.push(q);
      created++;
      return ok(res, { ...q, created_on: now(), modified_on: now() });
    }
    if (line === "GET /vectorize/v2/indexes") return ok(res, state.vectorize.map(({ metadataIndexes: _m, ...v }) => ({ ...v, created_on: now(), modified_on: now() })));
    if (line === "POST /vectorize/v2/indexes") {
      const name = String(body.name);
      const config = body.config as { dimensions: number; metric: string };
      if (state.vectorize.some((v) => v.name === name)) return fail(res, 409, 3002, "vectorize.index.duplicate_name");
      if (!config?.dimensions || !config.metric) return fail(res, 400, 3000, "config.dimensions and config.metric are required");
      state.vectorize.push({ name, config: { dimensions: config.dimensions, metric: config.metric }, metadataIndexes: [] });
      created++;
      return ok(res, { name, description: body.description ?? "", config, created_on: now(), modified_on: now() });
    }
    if ((m = /^(GET|POST) \/vectorize\/v2\/indexes\/([^/]+)\/metadata_index\/(list|create)$/.exec(line))) {
      const index = state.vectorize.find((v) => v.name === decodeURIComponent(m![2]!));
      if (!index) return fail(res, 404, 3000, "vectorize.index.not_found");
      if (m[1] === "GET" && m[3] === "list") return ok(res, { metadataIndexes: index.metadataIndexes });
      if (m[1] === "POST" && m[3] === "create") {
        const propertyName = String(body.propertyName);
        if (index.metadataIndexes.some((x) => x.propertyName === propertyName)) return fail(res, 409, 3000, "metadata index already exists");
        index.metadataIndexes.push({ propertyName, indexType: String(body.indexType) });
        created++;
        return ok(res, { mutationId: randomUUID() });
      }
    }
    unhandled.push(line);
    return fail(res, 404, 7003, `No route for that URI: ${line}`);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => fail(res, 500, 7500, String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    accountId,
    token,
    state,
    requests,
    unhandled,
    failWhen(match, status = 500) {
      failures.push({ match, status });
    },
    clearFailures() {
      failures.length = 0;
    },
    creates: () => created,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
