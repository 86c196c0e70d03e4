// Name rules with no dependency, so that code which only checks a name (the renderer's invite
// links) does not pull the schema library into the initial bundle.

/** Group names: letters and digits first, then letters, digits, `_`, `.`, `-`; 1 to 64 long. */
export const GROUP_NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}$/u;

/**
 * Hangul fillers are letters to Unicode but show as blanks: a name made of them looks empty or
 * like another group's (security review L3).
 */
export const BLANK_LETTERS = /[\u115F\u1160\u3164\uFFA0]/u;

/**
 * Characters that reorder or hide text: bidi controls (U+202A–202E, U+2066–2069, U+200E/F,
 * U+061C), zero-width characters and the BOM. "invoice\u202Efdp.exe" shows as "invoiceexe.pdf"
 * (security review 3, L1): names and topics never keep them.
 */
export const INVISIBLE_CONTROLS = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/gu;

export function withoutInvisibleControls(text: string): string {
  return text.replace(INVISIBLE_CONTROLS, '');
}

/** Usernames: 3 to 32 letters, digits, `_`, `.`, `-` (the sign-up form shows this rule). */
export const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
export const USERNAME_RULE = '3 to 32 letters, digits, _ . -';
export const MIN_PASSWORD_CHARS = 8;
export const PASSWORD_RULE = `at least ${MIN_PASSWORD_CHARS} characters`;

export function isGroupName(name: string): boolean {
  return GROUP_NAME.test(name) && !BLANK_LETTERS.test(name);
}
