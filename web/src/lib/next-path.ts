/**
 * Where to go after signing in. Only a same-site path is accepted: `//evil.test`
 * and `/\evil.test` are protocol-relative to browsers, so letting them through
 * would turn the sign-in page into an open redirect.
 */
export function safeNextPath(next: string | undefined | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (/[\u0000-\u001f]/.test(next)) return "/";
  if (next === "/login" || next.startsWith("/login?") || next === "/register" || next.startsWith("/register?")) return "/";
  return next;
}
