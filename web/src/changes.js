// changes.js - tells the views when to read again. Where allotd has the event stream
// (GET /api/v1/events?follow=1, server-sent events) each event triggers a read (a burst
// coalesced); where it answers 404 the views poll every 2 s. Views only ever "read again",
// so the two sources are interchangeable.
import { current } from "./session.js";

const POLL_MS = 2000;
const COALESCE_MS = 250;
const listeners = new Set();
let mode = null; // "events" | "poll", once known
let started = false;
let abort = null;
let pollTimer = null;

export function changeSource() {
  return mode;
}

function fire() {
  for (const fn of listeners) fn();
}

function poll() {
  mode = "poll";
  clearInterval(pollTimer);
  pollTimer = setInterval(fire, POLL_MS);
}

// The stream is read with fetch (EventSource cannot send the Authorization header); every
// complete event ("\n\n", with a data or event field) counts as a change, whatever it says.
async function stream() {
  const s = current();
  if (!s) return;
  abort = new AbortController();
  let resp;
  try {
    resp = await fetch("/api/v1/events?follow=1", {
      headers: { Authorization: "Bearer " + s.access_token, Accept: "text/event-stream" },
      signal: abort.signal,
    });
  } catch {
    return poll();
  }
  if (!resp.ok || !resp.body) return poll(); // 404: this allotd has no event stream yet
  mode = "events";
  const reader = resp.body.getReader();
  const text = new TextDecoder();
  let buf = "";
  let pending = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += text.decode(value, { stream: true });
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const event = buf.slice(0, end);
        buf = buf.slice(end + 2);
        if (!/^(data|event):/m.test(event)) continue; // a comment: the stream's keep-alive
        if (!pending) pending = setTimeout(() => ((pending = null), fire()), COALESCE_MS);
      }
    }
  } catch {
    /* aborted, or the connection broke */
  }
  if (started) setTimeout(stream, POLL_MS); // reconnect, reading everything again first
  fire();
}

// Subscribes `fn` (called with no argument when data may have changed); returns the
// unsubscribe function. The source starts with the first listener and stops with the last.
export function subscribe(fn) {
  listeners.add(fn);
  if (!started) {
    started = true;
    stream();
  }
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0) stop();
  };
}

export function stop() {
  started = false;
  clearInterval(pollTimer);
  pollTimer = null;
  if (abort) abort.abort();
  abort = null;
  mode = null;
}
