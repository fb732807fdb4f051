// Lists shown on a page combine what the server listed with what was made in this tab (so a new item shows
// at once, and still shows if the server cannot list yet). Newest first, by creation time. Making something
// does not re-read the list: listing bills, records or consents is reading citizens' data, which appends an
// entry to each listed citizen's access log, so the console lists only when the operator asks (opening the
// page, a filter, Refresh).

interface Item {
  id: string;
  createdAt?: string;
}

const created = (item: Item) => item.createdAt ?? "";

/** The server's copy wins, but keeps fields only the local copy knows (e.g. the phone it was sent to). */
export function mergeById<T extends Item>(local: T[], server: T[]): T[] {
  const byId = new Map<string, T>();
  for (const item of local) byId.set(item.id, item);
  for (const item of server) byId.set(item.id, { ...byId.get(item.id), ...item });
  return [...byId.values()].sort((a, b) => (created(a) < created(b) ? 1 : created(a) > created(b) ? -1 : 0));
}

/** Replaces the item with the same id; adds it at the front when absent and `add` is set. */
export function replaceById<T extends Item>(list: T[], item: T, add: boolean): T[] {
  const index = list.findIndex((x) => x.id === item.id);
  if (index === -1) return add ? [item, ...list] : list;
  return list.map((x, i) => (i === index ? { ...x, ...item } : x));
}
