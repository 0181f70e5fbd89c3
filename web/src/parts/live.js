// live.js - useLive(load, deps, every): runs load() now and again whenever data may have
// changed (changes.js: the event stream, or a 2 s poll), and at least every `every` ms when
// given (a view that samples over time); never two at once; gives {data, error, at}. load is
// passed a function that shows a partial result (a list's first page) before it resolves.
import { useEffect, useState } from "preact/hooks";
import { subscribe } from "../changes.js";

export function useLive(load, deps = [], every = 0) {
  const [state, setState] = useState({ data: null, error: null, at: 0 });
  useEffect(() => {
    // per effect: a load still running for the previous deps neither blocks nor shows
    let alive = true;
    let running = false;
    let again = false;
    let last = 0;
    const show = (data) => alive && setState({ data, error: null, at: Date.now() });
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      last = Date.now();
      try {
        show(await load(show));
      } catch (error) {
        if (alive) setState((s) => ({ ...s, error }));
      }
      running = false;
      if (alive && again) {
        again = false;
        run();
      }
    };
    run();
    const unsubscribe = subscribe(run);
    const tick = every ? setInterval(() => Date.now() - last >= every && run(), every / 2) : null;
    return () => {
      alive = false;
      clearInterval(tick);
      unsubscribe();
    };
  }, deps);
  return state;
}
