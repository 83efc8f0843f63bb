// `npm run emulator`: the emulator on its own, configured by the environment (docs/emulator.md).
import { startEmulator } from './index';
import type { EmulatorOptions } from './types';

function fromEnv(env: NodeJS.ProcessEnv): { options: EmulatorOptions; problems: string[] } {
  const problems: string[] = [];
  const value = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    return Number(raw);
  };
  const port = integer('EMULATOR_PORT', 3001, 1, 65535);
  const redirectUris = (value('EMULATOR_REDIRECT_URIS') ?? 'http://localhost:3000/oauth/callback,http://localhost:3000/permissions/callback')
    .split(',')
    .map((uri) => uri.trim())
    .filter(Boolean);
  for (const uri of redirectUris) {
    if (!URL.canParse(uri) || !/^https?:$/.test(new URL(uri).protocol)) problems.push(`EMULATOR_REDIRECT_URIS: "${uri}" is not an http(s) URL`);
  }
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false (got "${raw}")`);
    return raw === 'true';
  };
  const controlApi = flag('EMULATOR_CONTROL_API', false);
  const rateLimit = flag('EMULATOR_RATE_LIMIT', true);
  const relink = value('EMULATOR_RELINK_REFRESH_TOKEN') ?? 'same';
  if (relink !== 'same' && relink !== 'new') problems.push(`EMULATOR_RELINK_REFRESH_TOKEN must be same or new (got "${relink}")`);
  return {
    options: {
      port,
      host: value('EMULATOR_HOST') ?? '127.0.0.1',
      publicUrl: value('EMULATOR_PUBLIC_URL'),
      clientId: value('EMULATOR_CLIENT_ID'),
      clientSecret: value('EMULATOR_CLIENT_SECRET'),
      internalApplicationKey: value('EMULATOR_INTERNAL_APPLICATION_KEY'),
      redirectUris,
      accessTokenTtl: integer('EMULATOR_ACCESS_TOKEN_TTL', 3600, 1, 31_536_000),
      controlApi,
      relinkRefreshToken: relink === 'new' ? 'new' : 'same',
      rateLimit: rateLimit ? undefined : false,
      rotatingClientSecrets: (value('EMULATOR_ROTATING_CLIENT_SECRETS') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      log: (line) => console.warn(line),
    },
    problems,
  };
}

async function main(): Promise<void> {
  const { options, problems } = fromEnv(process.env);
  if (problems.length > 0) {
    console.error(`The emulator cannot start:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  const emulator = await startEmulator(options);
  console.warn(`Cronofy emulator listening on ${emulator.url} (client_id ${options.clientId ?? 'sandbox_client_id'}; redirect URIs ${options.redirectUris?.join(', ')})`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`The emulator cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
