export declare const PROJECT_ROOT: string;
export declare const OFFLINE_ENV: Record<string, string>;
export declare function buildWeb(options?: { quiet?: boolean }): Promise<void>;
export declare function generateSecrets(): { JWT_SECRET: string; TOKEN_ENCRYPTION_KEYS: string; GITHUB_WEBHOOK_SECRET: string; SLACK_SIGNING_SECRET: string; ADMIN_TOKEN: string };
export declare function newAdminToken(): string;
export declare function readDevVars(file?: string): Record<string, string>;
export declare function addDevVar(name: string, value: string, file?: string): void;
export declare function ensureDevVars(file?: string): { file: string; created: boolean };
export declare function applyMigrations(options?: { persistTo?: string; quiet?: boolean }): Promise<void>;
export declare function findFreePort(): Promise<number>;
export declare function assertPortFree(port: number): Promise<void>;
export interface DevServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  output(): string;
  exited: Promise<number | null>;
}
export declare function startDevServer(options?: {
  port?: number;
  persistTo?: string;
  vars?: Record<string, string>;
  quiet?: boolean;
  readyTimeoutMs?: number;
  inspectorPort?: number | null;
}): Promise<DevServer>;
