export declare function retryWhileBusy<T>(
  run: () => Promise<T>,
  options?: { attempts?: number; sleep?: (ms: number) => Promise<void>; onRetry?: (attempt: number) => void },
): Promise<T>;
export declare function wrangler(args: string[], options?: { remote?: boolean }): Promise<string>;
