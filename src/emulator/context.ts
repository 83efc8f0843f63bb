import type { Channels } from './channels';
import type { LinkTokens } from './link-tokens';
import type { ProfileHealth } from './profiles';
import type { EmulatorState } from './state';

/** What every part of the emulator needs: its memory and the one registered application. */
export interface EmulatorContext {
  state: EmulatorState;
  clientId: string;
  clientSecret: string;
  /** An Internal Application's client secret, when one is configured. */
  internalApplicationKey: string | undefined;
  redirectUris: readonly string[];
  /** Origin put in absolute URLs handed out (next_page, permissions_request.url). */
  publicUrl: string;
  applicationName: string;
  pageSize: number;
  memberPageSize: number;
  /** Push notification channels, profile health and link tokens (channels.ts, profiles.ts, link-tokens.ts). */
  channels: Channels;
  profiles: ProfileHealth;
  linkTokens: LinkTokens;
  /** A test may make POST /v1/permissions hand out another URL. */
  permissionsUrlOverride(): string | null;
}

/** Cronofy's 422 body: `{"errors": {field: [{key, description}]}}` (docs/cronofy-notes.md, Errors). */
export type Errors = Record<string, { key: string; description: string }[]>;

/** A query or body value that is exactly one string (Express 5 turns repeated keys into arrays). */
export const one = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** `base` with these query parameters added (undefined ones left out). */
export function withQuery(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}
