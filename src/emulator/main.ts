// `npm run emulator`: the emulator on its own, configured by the environment (settings.ts, docs/emulator.md).
import { startEmulator } from './index';
import { readEmulatorSettings } from './settings';

async function main(): Promise<void> {
  const { options, problems } = readEmulatorSettings(process.env);
  if (problems.length > 0) {
    console.error(`The emulator cannot start:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  const emulator = await startEmulator({ ...options, log: (line) => console.warn(line) });
  console.warn(`Cronofy emulator listening on ${emulator.url} (client_id ${options.clientId ?? 'sandbox_client_id'}; redirect URIs ${options.redirectUris?.join(', ')})`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`The emulator cannot start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
