// Child process: the bundled Cronofy emulator, with the control API on (so the orchestrator, in
// another process, can expire tokens and read recorded requests) and no rate limit (the
// benchmark would otherwise measure the emulator's 429s). src/emulator/main.ts cannot turn the
// rate limit off, hence this entry point.
import { startEmulator } from '../src/emulator';

async function main(): Promise<void> {
  const port = Number(process.env.BENCH_EMULATOR_PORT);
  const redirectUris = (process.env.BENCH_REDIRECT_URIS ?? '').split(',').filter(Boolean);
  const emulator = await startEmulator({
    port,
    host: '127.0.0.1',
    publicUrl: `http://127.0.0.1:${port}`,
    redirectUris,
    rateLimit: false,
    controlApi: true,
  });
  const stop = () => void emulator.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`bench emulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
