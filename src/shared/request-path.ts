// The path of an HTTP request target, for the server's routes and the desktop's web host alike.
// Runs anywhere.

/**
 * The path of a request target, or undefined when it is not an origin-form path. Request targets
 * come from anyone: `new URL` throws on `//`, `//[` and friends, so only `/...` forms are parsed.
 */
export function requestPath(target: string | undefined): string | undefined {
  if (!target?.startsWith('/') || target.startsWith('//')) return undefined;
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}
