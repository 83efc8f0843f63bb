// The emulator's settings from the environment (docs/emulator.md, "Start it"). `npm run emulator`
// reads all of them (main.ts); the app's sandbox mode reads where the emulator listens through the
// same readListenSettings (src/config), so both start it on the same port and interface.
// - Empty values count as unset; every problem is reported at once, naming its variable.
import type { EmulatorOptions } from './types';

type Env = Record<string, string | undefined>;

/** Where the emulator listens by default: loopback only, as startEmulator() does. */
export const DEFAULT_LISTEN = { port: 3001, host: '127.0.0.1' } as const;

const valueOf = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

function wholeNumber(env: Env, name: string, fallback: number, [min, max]: [number, number], problems: string[]): number {
  const raw = valueOf(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  return Number(raw);
}

function flag(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = valueOf(env, name);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false (got "${raw}")`);
  return raw === 'true';
}

/** EMULATOR_PORT and EMULATOR_HOST. */
export function readListenSettings(env: Env, problems: string[]): { port: number; host: string } {
  const port = wholeNumber(env, 'EMULATOR_PORT', DEFAULT_LISTEN.port, [1, 65535], problems);
  const host = valueOf(env, 'EMULATOR_HOST') ?? DEFAULT_LISTEN.host;
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(host)) problems.push(`EMULATOR_HOST must be an interface address or host name, e.g. 127.0.0.1 (got "${host}")`);
  return { port, host };
}

/** Every EMULATOR_* setting, as startEmulator's options. */
export function readEmulatorSettings(env: Env): { options: EmulatorOptions; problems: string[] } {
  const problems: string[] = [];
  const { port, host } = readListenSettings(env, problems);
  const redirectUris = (valueOf(env, 'EMULATOR_REDIRECT_URIS') ?? 'http://localhost:3000/oauth/callback,http://localhost:3000/permissions/callback')
    .split(',')
    .map((uri) => uri.trim())
    .filter(Boolean);
  for (const uri of redirectUris) {
    if (!URL.canParse(uri) || !/^https?:$/.test(new URL(uri).protocol)) problems.push(`EMULATOR_REDIRECT_URIS: "${uri}" is not an http(s) URL`);
  }
  const relink = valueOf(env, 'EMULATOR_RELINK_REFRESH_TOKEN') ?? 'same';
  if (relink !== 'same' && relink !== 'new') problems.push(`EMULATOR_RELINK_REFRESH_TOKEN must be same or new (got "${relink}")`);
  const options: EmulatorOptions = {
    port,
    host,
    publicUrl: valueOf(env, 'EMULATOR_PUBLIC_URL'),
    clientId: valueOf(env, 'EMULATOR_CLIENT_ID'),
    clientSecret: valueOf(env, 'EMULATOR_CLIENT_SECRET'),
    internalApplicationKey: valueOf(env, 'EMULATOR_INTERNAL_APPLICATION_KEY'),
    redirectUris,
    accessTokenTtl: wholeNumber(env, 'EMULATOR_ACCESS_TOKEN_TTL', 3600, [1, 31_536_000], problems),
    controlApi: flag(env, 'EMULATOR_CONTROL_API', false, problems),
    relinkRefreshToken: relink === 'new' ? 'new' : 'same',
    rateLimit: flag(env, 'EMULATOR_RATE_LIMIT', true, problems) ? undefined : false,
    rotatingClientSecrets: (valueOf(env, 'EMULATOR_ROTATING_CLIENT_SECRETS') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  };
  return { options, problems };
}
