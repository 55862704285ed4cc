import { app } from "../index";
import { sandbox } from "../sandbox";

/**
 * The development entry (wrangler.toml's top-level `main`: `npm start`, the
 * tests and the bench): the production worker plus the sandbox providers at
 * /sandbox, which still answer only when config allows them (sandboxMount in
 * config.ts). /sandbox is outside /api, so adding it after the production
 * routes does not put it behind their /api catch-all.
 */
app.route("/sandbox", sandbox);

export * from "../index";
// The local vector index stands in for Vectorize in development and tests only (wrangler.toml binds KB_VECTORS at the top level).
export { KnowledgeIndex } from "../kb/vectors/local-index";
export { default } from "../index";
