// The people a service account was asked to authorize, and the keys their callbacks come back with.
// - One record per service-account connection: "<version>.<JSON list>", changed only with a
//   compare-and-set on the version (callbacks for a batch arrive at once), kept for the session's
//   absolute lifetime at most, and forgotten when the service account is released or lapses.
// - A person's tokens are not here: they are an ordinary connection in the token store; the person
//   holds its id.
// - Each pending authorization has a callback key: 256 random bits, in the callback_url only. Redis
//   holds a hash of it (never the key itself), pointing at the person; taken with GETDEL, so a
//   callback is accepted once at most.
import { createHash, randomBytes } from 'node:crypto';
import type { DataCenter } from '../cronofy/data-centers';
import type { KeyValueStore } from '../store/kv';

export type PersonStatus = 'pending' | 'authorized' | 'failed' | 'revoked';

export interface PersonFailure {
  error?: string;
  error_key?: string;
  error_description?: string;
}

export interface Person {
  id: string;
  email: string;
  status: PersonStatus;
  scope: string;
  requested_at: number;
  updated_at: number;
  /** Hash of the pending callback key, so revoking a pending person kills its key. */
  callback_hash?: string;
  /** The person's own connection in the token store, once authorized. */
  connection_id?: string;
  sub?: string;
  profile?: string;
  failure?: PersonFailure;
}

export interface PendingCallback {
  service_connection_id: string;
  /** Where the service account lives: the person's code is exchanged there. */
  data_center: DataCenter;
  person_id: string;
  /** The admin's flow-inspector timeline, so the server-to-server callback shows there too. */
  inspector_id?: string;
}

const PEOPLE = 'cronofy-connect:enterprise:people:';
const CALLBACK = 'cronofy-connect:enterprise:callback:';
const MAX_ATTEMPTS = 20;

export const newCallbackKey = (): string => randomBytes(32).toString('base64url');
export const hashKey = (key: string): string => createHash('sha256').update(key).digest('base64url');

export class PeopleChangedError extends Error {
  readonly code = 'people_contended';
  constructor() {
    super('The list of people kept changing while it was being updated');
    this.name = 'PeopleChangedError';
  }
}

export function createPeopleStore(kv: KeyValueStore, ttlMs: number) {
  async function read(serviceId: string): Promise<{ version: string | null; people: Person[] }> {
    const raw = await kv.get(PEOPLE + serviceId);
    if (raw === null) return { version: null, people: [] };
    const dot = raw.indexOf('.');
    return { version: raw.slice(0, dot), people: JSON.parse(raw.slice(dot + 1)) as Person[] };
  }

  return {
    async list(serviceId: string): Promise<Person[]> {
      return (await read(serviceId)).people;
    },

    /**
     * Applies `change` to the current list and writes it only if nobody wrote meanwhile (else reads
     * again and retries). `change` returns the new list, or null to write nothing.
     */
    async update(serviceId: string, change: (people: Person[]) => Person[] | null): Promise<Person[]> {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const { version, people } = await read(serviceId);
        const next = change(people.map((p) => ({ ...p })));
        if (next === null) return people;
        const value = `${randomBytes(8).toString('hex')}.${JSON.stringify(next)}`;
        const written = version === null ? await kv.setIfAbsent(PEOPLE + serviceId, value, ttlMs) : await kv.replaceIfPrefix(PEOPLE + serviceId, `${version}.`, value);
        if (written) return next;
      }
      throw new PeopleChangedError();
    },

    async forget(serviceId: string): Promise<void> {
      await kv.del(PEOPLE + serviceId);
    },

    async putCallback(key: string, pending: PendingCallback): Promise<void> {
      await kv.set(CALLBACK + hashKey(key), JSON.stringify(pending), ttlMs);
    },

    /** The pending authorization this key names, once; null when unknown, used or revoked. */
    async takeCallback(key: string): Promise<PendingCallback | null> {
      const raw = await kv.take(CALLBACK + hashKey(key));
      return raw === null ? null : (JSON.parse(raw) as PendingCallback);
    },

    async dropCallback(hash: string): Promise<void> {
      await kv.del(CALLBACK + hash);
    },
  };
}

export type PeopleStore = ReturnType<typeof createPeopleStore>;
