// html.js - htm bound to preact's h: the views' templates (no JSX step in the build).
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);
