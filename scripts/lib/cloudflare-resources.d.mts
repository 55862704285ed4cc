export declare const DEFAULT_CONFIG: string;
export declare const EMBEDDER_DIMENSIONS: { openai: number; "workers-ai": number; local: number };
export declare const DEFAULT_PRODUCTION_EMBEDDER: string;
export declare const VECTORIZE_METRIC: string;
export declare const VECTORIZE_METADATA_INDEXES: Array<{ propertyName: string; type: "string" | "number" | "boolean" }>;
export declare function isPlaceholderId(id: unknown): boolean;
export declare class ConfigError extends Error {}
export interface EnvironmentConfig {
  workerName: string;
  env: Record<string, any>;
}
export declare function readEnvironment(configPath: string, envName?: string): EnvironmentConfig;
export interface Resources {
  d1: Array<{ binding: string; name: string; id: string | undefined }>;
  kv: Array<{ binding: string; title: string; id: string | undefined }>;
  r2: Array<{ binding: string; name: string }>;
  queues: string[];
  vectorize: Array<{ binding: string; name: string; dimensions: number; metric: string; embedder: string; metadataIndexes: Array<{ propertyName: string; type: string }> }>;
}
export declare function resourcesOf(config: EnvironmentConfig): Resources;
export declare function placeholderBindings(resources: Resources): string[];
export declare function setBlockValue(
  text: string,
  target: { envName?: string; table: string; binding: string; key: string; value: string; bindingKey?: string },
): string;
