// live.js - useLive(load, deps): runs load() now and again whenever data may have changed
// (changes.js: the event stream, or a 2 s poll), never two at once; gives {data, error, at}.
import { useEffect, useRef, useState } from "preact/hooks";
import { subscribe } from "../changes.js";

export function useLive(load, deps = []) {
  const [state, setState] = useState({ data: null, error: null, at: 0 });
  const running = useRef(false);
  const again = useRef(false);
  useEffect(() => {
    let alive = true;
    const run = async () => {
      if (running.current) {
        again.current = true;
        return;
      }
      running.current = true;
      try {
        const data = await load((partial) => alive && setState({ data: partial, error: null, at: Date.now() }));
        if (alive) setState({ data, error: null, at: Date.now() });
      } catch (error) {
        if (alive) setState((s) => ({ ...s, error }));
      }
      running.current = false;
      if (alive && again.current) {
        again.current = false;
        run();
      }
    };
    run();
    const unsubscribe = subscribe(run);
    return () => {
      alive = false;
      unsubscribe();
    };
  }, deps);
  return state;
}
