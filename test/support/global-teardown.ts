// Stops the redis-server global-setup.ts started, if it started one.
export default async function globalTeardown(): Promise<void> {
  await globalThis.ownTestRedis?.stop();
}
