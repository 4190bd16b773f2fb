// Shared helpers of the sessions-plus viewer. Stored content only ever goes through
// textContent (never innerHTML), so a stored "<script>" is shown as text.
"use strict";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function pad(n) { return String(n).padStart(2, "0"); }

function isoTime(ts) {
  if (ts === null || ts === undefined) return "—";
  const d = new Date(ts * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function relativeTime(ts) {
  if (ts === null || ts === undefined) return "never";
  const delta = Date.now() / 1000 - ts;
  const s = Math.abs(delta);
  if (s < 5) return "just now";
  const units = [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]];
  for (const [unit, size] of units) {
    if (s >= size) {
      const amount = `${Math.floor(s / size)} ${unit}`;
      return delta < 0 ? `in ${amount}` : `${amount} ago`;
    }
  }
  return "just now";
}

function timeCell(ts) {
  const span = el("span", "time", relativeTime(ts));
  span.title = isoTime(ts);
  return span;
}

async function api(path, params) {
  const query = new URLSearchParams(params || {}).toString();
  const response = await fetch(query ? `${path}?${query}` : path, { credentials: "same-origin" });
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.hidden = !message;
}

function hue(name) {
  let h = 0;
  for (const ch of String(name)) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}
