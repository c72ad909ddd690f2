/**
 * The signed-in key. It lives in sessionStorage only (gone with the tab, never in a URL, a cookie
 * or localStorage) and goes to the server in the Authorization header of each call (api.ts).
 */
const STORAGE_KEY = 'memspace.key';

export function currentKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function signIn(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
