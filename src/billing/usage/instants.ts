const parsed = new Map<string, number>();

/**
 * `Date.parse` for the few instants every event is compared with (subscription starts and ends): each is parsed
 * once, not once per event. Bounded: the memo starts over past 10,000 distinct instants.
 */
export function instantMs(iso: string): number {
  let ms = parsed.get(iso);
  if (ms === undefined) {
    if (parsed.size >= 10_000) parsed.clear();
    parsed.set(iso, (ms = Date.parse(iso)));
  }
  return ms;
}
