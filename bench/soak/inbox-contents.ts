// Every event id the org's inbox holds, acknowledged or not, read page by page through the API as a client would.

const pageSize = 1_000;

export async function inboxIds(gatewayUrl: string, key: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor = "";
  for (;;) {
    const url = new URL("/v1/inbox", gatewayUrl);
    url.searchParams.set("status", "all");
    url.searchParams.set("limit", String(pageSize));
    if (cursor) url.searchParams.set("cursor", cursor);
    const response = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(60_000) });
    if (!response.ok) throw new Error(`listing the inbox answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { events?: { id: string }[]; next_cursor?: string; has_more?: boolean };
    for (const event of page.events ?? []) ids.add(event.id);
    if (!page.has_more || !page.next_cursor) return ids;
    cursor = page.next_cursor;
  }
}
