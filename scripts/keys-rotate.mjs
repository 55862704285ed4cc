#!/usr/bin/env node
// `npm run keys:rotate [-- --remote] [-- --env production] [-- --persist-to <dir>]`:
// re-seals every stored provider token under the first key of
// TOKEN_ENCRYPTION_KEYS, in the current envelope format (older `v1`
// envelopes become `v2`, bound to their column). Run it after putting a new
// key first; once it reports no unreadable rows, the old keys can be removed
// from the list.
//
// It reads and writes through `wrangler d1 execute`: the local database by
// default (keys from the environment, else .dev.vars), the deployed one with
// --remote (keys from the environment only: set TOKEN_ENCRYPTION_KEYS to the
// value the deployed worker has). Every write is a compare-and-swap on the
// envelopes it read, so running it while the worker serves is safe. The same
// as `npm run admin -- keys:rotate` (scripts/lib/keys-rotate.mjs).
import { parseD1Args } from "./lib/d1-cli.mjs";
import { rotateKeys } from "./lib/keys-rotate.mjs";

const { values } = parseD1Args();
process.exitCode = await rotateKeys(values);
