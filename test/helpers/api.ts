// A small JSON client of the gateway's REST API for tests, and a bounded poll for what happens asynchronously.
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export function apiClient(gatewayUrl: string, key?: string) {
  async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const res = await fetch(`${gatewayUrl}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }
  return {
    get: <T = any>(path: string, headers?: Record<string, string>) => call<T>("GET", path, undefined, headers),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>("POST", path, body ?? {}, headers),
    delete: <T = any>(path: string) => call<T>("DELETE", path),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** Polls until check returns a value other than undefined; fails after the given number of tries. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, tries = 200, pauseMs = 50): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Every pending event of an org's inbox, following cursors to the end. */
export async function wholeInbox(api: ApiClient): Promise<Array<{ id: string; type: string; data: unknown }>> {
  const events = [];
  let cursor = "";
  do {
    const page = await api.get(`/v1/inbox?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    if (page.status !== 200) throw new Error(`GET /v1/inbox answered ${page.status}: ${JSON.stringify(page.body)}`);
    events.push(...(page.body.events ?? []));
    cursor = page.body.next_cursor;
  } while (cursor);
  return events;
}
