// Calls are a chunk of their own: the app's first script stays within its budget, and the chunk loads
// right after the app starts (a call may ring at any time) or on the first call button shown.
import type { ComponentProps, FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { CallIncomingFrame, CallStateFrame } from "../../../chat/protocol";

type Module = typeof import("./screen");
let loading: Promise<Module> | null = null;
const load = (): Promise<Module> => {
  loading ??= import("./screen").catch((err: unknown) => {
    loading = null;
    throw err;
  });
  return loading;
};

/** Inbox frames about calls, in order (one module promise, so each `then` runs in the order registered). */
export function onCallFrame(f: CallIncomingFrame | CallStateFrame): void {
  void load().then((m) => m.calls.onInbox(f));
}

/** Ends this device's call, if the calls code was loaded at all. */
export function stopCalls(): void {
  if (loading) void loading.then((m) => m.calls.stop());
}

/** Renders nothing until the chunk is in. */
function deferred<K extends "CallScreen" | "CallButtons">(name: K): FunctionComponent<ComponentProps<Module[K]>> {
  return function Deferred(props) {
    const [mod, setMod] = useState<Module | null>(null);
    useEffect(() => {
      let live = true;
      void load().then(
        (m) => live && setMod(m),
        () => undefined,
      );
      return () => {
        live = false;
      };
    }, []);
    if (!mod) return null;
    const C = mod[name] as FunctionComponent<ComponentProps<Module[K]>>;
    return <C {...props} />;
  };
}

export const CallScreen = deferred("CallScreen");
export const CallButtons = deferred("CallButtons");
