import type { Request, Response } from 'express';
import type { Actor } from './bearer';
import type { Callbacks } from './callbacks';
import type { Channels } from './channels';
import type { EventPages } from './events';
import type { LinkTokens } from './link-tokens';
import type { Notifier } from './notify';
import type { ProfileHealth } from './profiles';
import type { EmulatorState, Grant } from './state';

/** The emulator's settings: the one registered application and how it pages, fixed at start. */
export interface EmulatorSettings {
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
  now: () => number;
}

/** The emulator's memory: control.reset() replaces all of it (index.ts, freshMemory). */
export interface EmulatorMemory {
  state: EmulatorState;
  eventPages: EventPages;
  /** Push notification channels, profile health and link tokens (channels.ts, profiles.ts, link-tokens.ts). */
  channels: Channels;
  profiles: ProfileHealth;
  linkTokens: LinkTokens;
  /** What a test made the emulator hand out instead (control.overridePermissionsUrl). */
  overrides: { permissionsUrl: string | null };
}

/** What every handler is given. Reset replaces the memory in it: read memory from here when it is needed, never keep it. */
export interface EmulatorContext extends EmulatorSettings, EmulatorMemory {
  /** The Internal Application's standing grant (bearer.ts), when internalApplicationKey is set. */
  internalGrant: Grant | undefined;
  /** Senders of push notifications and Enterprise Connect callbacks; reset empties their records. */
  notifier: Notifier;
  callbacks: Callbacks;
}

/** What one request carries from middleware to its handler (res.locals). */
export interface EmulatorLocals {
  /** Who is calling /v1/*, set by the bearer middleware. */
  actor?: Actor;
}

export type EmulatorResponse = Response<unknown, EmulatorLocals>;

/** An endpoint's work: answers through `res`, or fails by throwing (errors.ts). */
export type Handler = (ctx: EmulatorContext, req: Request, res: EmulatorResponse) => void | Promise<void>;

/** Cronofy's 422 body: `{"errors": {field: [{key, description}]}}` (docs/cronofy-notes.md, Errors). */
export type Errors = Record<string, { key: string; description: string }[]>;

/**
 * The origin of the application the emulator serves (of its first registered redirect URI), for
 * the emulator's own pages to link back to; undefined when none is registered.
 */
export const applicationOrigin = (ctx: Pick<EmulatorContext, 'redirectUris'>): string | undefined =>
  ctx.redirectUris[0] !== undefined && URL.canParse(ctx.redirectUris[0]) ? new URL(ctx.redirectUris[0]).origin : undefined;

/** A query or body value that is exactly one string (Express 5 turns repeated keys into arrays). */
export const one = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A request body as a record (none, or not an object: empty). */
export const bodyOf = (req: Request): Record<string, unknown> =>
  typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};

/** `base` with these query parameters added (undefined ones left out). */
export function withQuery(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}
