// One session: its streams as tabs, the conversation as chat bubbles, documents, and live
// updates over server-sent events (/api/events). Everything stored goes through textContent.
"use strict";

const params = new URLSearchParams(window.location.search);
const sessionId = params.get("id") || "";
let stream = params.get("stream") || "";
let lastSeq = 0;
let source = null;

function part(p) {
  switch (p.kind) {
    case "text":
      return el("div", "text", p.text);
    case "reasoning": {
      const box = el("details", "reasoning");
      box.append(el("summary", null, "thinking"), el("div", "text", p.text));
      return box;
    }
    case "tool_call": {
      const box = el("details", "tool call");
      const summary = el("summary");
      summary.append(el("span", "arrow", "→ "), el("code", null, p.name || "tool"));
      if (p.call_id) summary.append(el("span", "call-id", p.call_id));
      box.append(summary, el("pre", null, p.text));
      return box;
    }
    case "tool_result": {
      const box = el("details", "tool result");
      const summary = el("summary");
      summary.append(el("span", "arrow", "← "), el("span", null, "result"));
      if (p.status && p.status !== "success") summary.append(el("span", "status", p.status));
      if (p.call_id) summary.append(el("span", "call-id", p.call_id));
      box.append(summary, el("pre", null, p.text));
      return box;
    }
    case "image": {
      if (p.image_url && p.image_url.startsWith("data:image/")) {
        const img = el("img", "image");
        img.alt = "image";
        img.src = p.image_url;
        return img;
      }
      return el("div", "image-placeholder", `[image${p.text ? ": " + p.text : ""}]`);
    }
    default:
      return el("pre", "other", p.text);
  }
}

function bubble(message) {
  const wrap = el("article", `message role-${message.role}`);
  wrap.dataset.seq = message.seq;
  const meta = el("div", "meta");
  if (message.author) {
    const author = el("span", "author", message.author);
    author.style.setProperty("--hue", hue(message.author));
    meta.append(author, el("span", "sep", " · "));
  }
  meta.append(el("span", "role", message.role));
  if (message.redacted) meta.append(el("span", "redacted", "redacted"));
  const when = el("span", "when", `#${message.seq} · ${isoTime(message.created_at)}`);
  meta.append(when);
  const body = el("div", "bubble");
  if (message.author) body.style.setProperty("--hue", hue(message.author));
  const parts = message.parts.length ? message.parts : [{ kind: "other", text: "(empty)" }];
  body.append(...parts.map(part));
  wrap.append(meta, body);
  return wrap;
}

function append(messages) {
  const box = document.getElementById("conversation");
  const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
  for (const message of messages) {
    if (message.seq <= lastSeq) continue;
    box.append(bubble(message));
    lastSeq = message.seq;
  }
  document.getElementById("empty-stream")?.remove();
  if (nearBottom && messages.length) window.scrollTo(0, document.body.scrollHeight);
}

function defaultStream(streams) {
  // The conversation: "main" (OpenAI), "conversation" (a shared one), else an agent's stream.
  const names = Object.keys(streams).sort();
  for (const name of ["main", "conversation"]) if (names.includes(name)) return name;
  return names.find((name) => name !== "trace") || names[0] || "main";
}

function tabs(streams) {
  const nav = document.getElementById("streams");
  const names = Object.keys(streams).sort();
  if (!names.includes(stream)) names.unshift(stream);
  nav.replaceChildren(...names.map((name) => {
    const link = el("a", name === stream ? "tab active" : "tab", `${name} (${streams[name] || 0})`);
    link.href = `/session?${new URLSearchParams({ id: sessionId, stream: name })}`;
    return link;
  }));
}

function documents(docs) {
  const box = document.getElementById("documents");
  const names = Object.keys(docs).sort();
  if (!names.length) {
    box.replaceChildren(el("p", "empty", "No documents."));
    return;
  }
  box.replaceChildren(...names.map((name) => {
    const doc = el("details", "document");
    doc.append(el("summary", null, name), el("pre", null, JSON.stringify(docs[name], null, 2)));
    return doc;
  }));
}

async function loadAll() {
  let more = true;
  while (more) {
    const page = await api("/api/records", { id: sessionId, stream, after: lastSeq });
    append(page.messages);
    more = page.more && page.messages.length > 0;
  }
  if (!document.querySelector("#conversation .message")) {
    document.getElementById("conversation").append(
      el("p", "empty", "No records in this stream yet."));
    document.querySelector("#conversation .empty").id = "empty-stream";
  }
}

function live() {
  const label = document.getElementById("live");
  source = new EventSource(`/api/events?${new URLSearchParams({ id: sessionId, stream, after: lastSeq })}`);
  source.addEventListener("open", () => { label.textContent = "● live"; label.className = "live on"; });
  source.addEventListener("error", () => { label.textContent = "reconnecting…"; label.className = "live"; });
  source.addEventListener("records", (event) => append(JSON.parse(event.data)));
}

async function main() {
  document.getElementById("title").textContent = sessionId;
  document.title = `sessions-plus · ${sessionId}`;
  try {
    const info = await api("/api/session", { id: sessionId });
    const expires = info.expires_at === null ? "never expires" : `expires ${isoTime(info.expires_at)}`;
    document.getElementById("meta").textContent =
      `created ${isoTime(info.created_at)} · updated ${isoTime(info.updated_at)} ` +
      `(${relativeTime(info.updated_at)}) · ${expires} · ${info.item_count} records`;
    if (!stream) stream = defaultStream(info.streams);
    tabs(info.streams);
    documents(info.docs);
    await loadAll();
    live();
  } catch (error) {
    showError(String(error.message || error));
  }
}

main();
