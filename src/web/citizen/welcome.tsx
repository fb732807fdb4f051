// The first thing a person sees after signing in without a name yet: "Как вас зовут?". People in chats are
// shown by name, never by number or id, so the app asks once, right after sign-in on this tab; "Позже"
// leaves it for the settings.
import { lazy } from "../lib/ui";
import type { Me } from "./state";

/** The form itself is a chunk of its own: only a new account sees it. */
export const NameStep = lazy(() => import("./name-step").then((m) => m.NameStep));

const ASK_KEY = "veche.askName";

/** Called when the sign-in form succeeds: the app asks for a name if the account has none. */
export function askNameAfterSignIn(): void {
  try {
    sessionStorage.setItem(ASK_KEY, "1");
  } catch {
    // storage disabled: the name stays for the settings
  }
}

function asked(): boolean {
  try {
    return sessionStorage.getItem(ASK_KEY) === "1";
  } catch {
    return false;
  }
}

export function nameAsked(): void {
  try {
    sessionStorage.removeItem(ASK_KEY);
  } catch {
    // nothing kept
  }
}

/** Whether to ask this person for their name now. */
export const shouldAskName = (user: Me): boolean => !user.displayName && asked();
