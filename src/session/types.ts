import 'express-session';

/** What this app keeps in a session. Read and written only through ./access.ts. */
export interface AppSessionData {
  /** Epoch ms the session began; enforces the absolute lifetime. */
  createdAt: number;
  /** Ids of the connections this browser holds; the tokens are in the token store. */
  connections: { individual?: string; organization?: string; enterprise?: string };
  /** One message for the next page. */
  flash: { kind: 'info' | 'error'; text: string };
  /** Stable id of this browser's flow-inspector timeline (kept across regeneration). */
  inspectorId: string;
  /** Random value the pending flows (`state`) are bound to; survives regeneration, unlike the id. */
  flowBinding: string;
  /**
   * Epoch ms the records only this session can reach (decision 010) lapse at, unless a request
   * moves them on (./hold.ts); absent when it holds none that can still move.
   */
  boundUntil: number;
}

declare module 'express-session' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface SessionData extends AppSessionData {}
}
