/** Enough of a secret to tell two apart, never enough to use: "P531… (32 chars)". */
export function mask(secret: string | undefined): string | undefined {
  if (secret === undefined) return undefined;
  return `${secret.slice(0, 4)}… (${secret.length} chars)`;
}
