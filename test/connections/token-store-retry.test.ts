// Storing rotated tokens through a failover (decision 011): TokenStore.replace with a retry window
// tries again while the store fails, and a write whose answer was lost (it landed, then the
// connection dropped) counts as done rather than as "changed by someone else".
import type { Connection } from '../../src/connections/connection';
import { createTokenStore } from '../../src/connections/token-store';
import { StorageError } from '../../src/store/errors';
import type { KeyValueStore } from '../../src/store/kv';
import { createMemoryStore } from '../../src/store/memory-kv';

const connection = (refresh_token: string): Connection => ({
  id: 'c1',
  kind: 'individual',
  data_center: 'us',
  access_token: `access-${refresh_token}`,
  refresh_token,
  expires_at: Date.now() + 3_600_000,
  scope: 'read_events',
  connected_at: Date.now(),
});

/** The memory store, with replicated.replaceIfPrefix failing as told for the next calls. */
function failingStore(faults: ('before' | 'after')[]) {
  const kv = createMemoryStore();
  const replaceIfPrefix = kv.replicated.replaceIfPrefix.bind(kv);
  let calls = 0;
  const wrapped: KeyValueStore = {
    ...kv,
    replicated: {
      ...kv.replicated,
      async replaceIfPrefix(key, prefix, value) {
        calls++;
        const fault = faults.shift();
        if (fault === 'before') throw new StorageError('kv.replicated.replaceIfPrefix', new Error('Connection is closed.'));
        const done = await replaceIfPrefix(key, prefix, value);
        if (fault === 'after') throw new StorageError('kv.replicated.replaceIfPrefix', new Error('Connection is closed.'));
        return done;
      },
    },
  };
  return { kv: wrapped, calls: () => calls };
}

describe('TokenStore.replace through a failover', () => {
  it('tries again while the store fails, within its window, and stores the rotated tokens', async () => {
    const store = failingStore(['before', 'before']);
    const tokens = createTokenStore({ kv: store.kv, namespace: 'test' });
    await tokens.put(connection('r1'));
    const { version } = (await tokens.get('c1'))!;
    expect(await tokens.replace(version, connection('r2'), 5_000)).toBe(true);
    expect(store.calls()).toBe(3);
    expect((await tokens.get('c1'))!.connection.refresh_token).toBe('r2');
  });

  it('counts a write that landed before its answer was lost as done', async () => {
    const store = failingStore(['after']);
    const tokens = createTokenStore({ kv: store.kv, namespace: 'test' });
    await tokens.put(connection('r1'));
    const { version } = (await tokens.get('c1'))!;
    expect(await tokens.replace(version, connection('r2'), 5_000)).toBe(true);
    expect((await tokens.get('c1'))!.connection.refresh_token).toBe('r2');
  });

  it('still answers false when someone else wrote in between, and fails once the window is over', async () => {
    const store = failingStore(['before']);
    const tokens = createTokenStore({ kv: store.kv, namespace: 'test' });
    await tokens.put(connection('r1'));
    const { version } = (await tokens.get('c1'))!;
    await tokens.put(connection('r-other')); // a newer sign-in replaced the record
    expect(await tokens.replace(version, connection('r2'), 5_000)).toBe(false);

    const failing = failingStore(['before']);
    const noWindow = createTokenStore({ kv: failing.kv, namespace: 'test' });
    await noWindow.put(connection('r1'));
    await expect(noWindow.replace((await noWindow.get('c1'))!.version, connection('r2'))).rejects.toBeInstanceOf(StorageError);
  });
});
