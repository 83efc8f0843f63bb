// The people store of this app's context: stateless functions over the shared key-value store.
import type { AppContext } from '../context';
import { SESSION_ABSOLUTE_MS } from '../session';
import { createPeopleStore, type PeopleStore } from './people-store';

const stores = new WeakMap<AppContext, PeopleStore>();

export function peopleOf(ctx: AppContext): PeopleStore {
  let store = stores.get(ctx);
  if (!store) {
    store = createPeopleStore(ctx.kv, SESSION_ABSOLUTE_MS);
    stores.set(ctx, store);
  }
  return store;
}

/** The callback_url of one pending authorization: the key is the only thing that identifies it. */
export const callbackUrlFor = (ctx: AppContext, key: string): string => `${ctx.config.appBaseUrl}/enterprise/callback/${key}`;
