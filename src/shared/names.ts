// Name rules with no dependency, so that code which only checks a name (the renderer's invite
// links) does not pull the schema library into the initial bundle.

/** Group names: letters and digits first, then letters, digits, `_`, `.`, `-`; 1 to 64 long. */
export const GROUP_NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}$/u;

/**
 * Hangul fillers are letters to Unicode but show as blanks: a name made of them looks empty or
 * like another group's (security review L3).
 */
export const BLANK_LETTERS = /[\u115F\u1160\u3164\uFFA0]/u;

export function isGroupName(name: string): boolean {
  return GROUP_NAME.test(name) && !BLANK_LETTERS.test(name);
}
