// Hash routing (#/chats/<id>, #/services/bills, …): the static assets have no fallback to index.html, so
// the path after # is the only one that can change without a request.
import { useEffect, useState } from "preact/hooks";

/** The route as path segments: "#/services/bills/42" → ["services", "bills", "42"]. */
export type Route = string[];

/**
 * The route a hash names, or null when it names none: a segment that is not valid percent-encoding
 * (`#/%`, `#/chats/%E0%A4`, typed or from a broken link) would make decodeURIComponent throw and take
 * the whole app down; it shows the not-found view instead.
 */
export function parseRoute(hash: string): Route | null {
  const segments = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  try {
    return segments.map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
}

export function currentRoute(): Route | null {
  return parseRoute(location.hash);
}

export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join("/")}`;

export function navigate(...parts: string[]): void {
  location.hash = href(...parts);
}

export function useRoute(): Route | null {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
