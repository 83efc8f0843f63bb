// cronofy (the official Node SDK) ships no types; these cover what the emulator tests call.
declare module 'cronofy' {
  type Options = Record<string, unknown>;
  class Cronofy {
    constructor(config: { client_id?: string; client_secret?: string; access_token?: string; refresh_token?: string; data_center?: string });
    urls: { api: string };
    requestAccessToken(options: Options): Promise<Record<string, unknown>>;
    refreshAccessToken(options?: Options): Promise<Record<string, unknown>>;
    revokeAuthorization(options?: Options): Promise<unknown>;
    listCalendars(options?: Options): Promise<{ calendars: { calendar_id: string; calendar_readonly: boolean; permission_level: string }[] }>;
    userInfo(options?: Options): Promise<Record<string, unknown>>;
    accountInformation(options?: Options): Promise<{ account: Record<string, unknown> }>;
    profileInformation(options?: Options): Promise<{ profiles: Record<string, unknown>[] }>;
    readEvents(options: Options): Promise<{ pages: { current: number; total: number; next_page?: string }; events: Record<string, unknown>[] }>;
    createEvent(options: Options): Promise<unknown>;
    deleteEvent(options: Options): Promise<unknown>;
    updateExternalEvent(options: Options): Promise<unknown>;
    deleteExternalEvent(options: Options): Promise<unknown>;
    elevatedPermissions(options: Options): Promise<{ permissions_request: { url?: string; accepted?: boolean } }>;
  }
  export = Cronofy;
}
