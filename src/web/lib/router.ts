// Hash routing (#/chats/<id>, #/services/bills, …): the static assets have no fallback to index.html, so
// the path after # is the only one that can change without a request.
import { useEffect, useState } from "preact/hooks";

/** The route as path segments: "#/services/bills/42" → ["services", "bills", "42"]. */
export type Route = string[];

export function currentRoute(): Route {
  return location.hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
}

export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join("/")}`;

export function navigate(...parts: string[]): void {
  location.hash = href(...parts);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
