// Cursor pagination as one async iterator: every item of every page, fetching each page when the one before is used up.

export interface Page<Item> {
  items: Item[];
  /** Where the next page starts; undefined when there is none. */
  next: string | undefined;
}

/** Yields the items of the first page, then of each page its cursor leads to. */
export async function* allPages<Item>(
  fetchPage: (cursor: string) => Promise<Page<Item>>,
  cursor = "",
): AsyncGenerator<Item, void, undefined> {
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.items;
    if (page.next === undefined) return;
    cursor = page.next;
  }
}
