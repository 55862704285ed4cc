import { getConfig, requireConfig } from "../../config";
import type { Env } from "../../env";
import type { VectorIndex } from "../types";
import { LocalVectorIndex } from "./local";
import { VectorizeVectorIndex } from "./vectorize";

/** Vectorize where it is bound (production), else the local index (development, tests, the bench). */
export function vectorIndexFor(env: Env): VectorIndex {
  if (env.VECTORIZE) return new VectorizeVectorIndex(env.VECTORIZE);
  const local = LocalVectorIndex.from(env);
  if (local) return local;
  return requireConfig<VectorIndex>(getConfig(env), "VECTORIZE", undefined);
}
