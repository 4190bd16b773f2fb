// The sessions list: prefix search and cursor paging over /api/sessions.
"use strict";

const PAGE_SIZE = 25;
const state = { prefix: "", cursors: [null], page: 0, next: null };

function streamsText(streams) {
  const names = Object.keys(streams).sort();
  return names.length ? names.map((n) => `${n}: ${streams[n]}`).join(", ") : "—";
}

function row(session) {
  const tr = el("tr");
  const idCell = el("td", "id");
  const link = el("a", null, session.session_id);
  link.href = `/session?${new URLSearchParams({ id: session.session_id })}`;
  idCell.append(link);
  const cells = [
    idCell,
    el("td"), el("td"), el("td"),
    el("td", "num", session.item_count),
    el("td", "streams", streamsText(session.streams)),
  ];
  cells[1].append(timeCell(session.created_at));
  cells[2].append(timeCell(session.updated_at));
  if (session.expires_at === null) cells[3].textContent = "never";
  else cells[3].append(timeCell(session.expires_at));
  tr.append(...cells);
  return tr;
}

async function load() {
  showError("");
  const params = { limit: PAGE_SIZE };
  if (state.prefix) params.prefix = state.prefix;
  const cursor = state.cursors[state.page];
  if (cursor) params.cursor = cursor;
  try {
    const page = await api("/api/sessions", params);
    const body = document.querySelector("#sessions tbody");
    body.replaceChildren(...page.sessions.map(row));
    document.getElementById("empty").hidden = page.sessions.length > 0;
    state.next = page.next_cursor;
    document.getElementById("next").disabled = !state.next;
    document.getElementById("previous").disabled = state.page === 0;
    document.getElementById("page-label").textContent = `page ${state.page + 1}`;
  } catch (error) {
    showError(String(error.message || error));
  }
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  state.prefix = document.getElementById("prefix").value;
  state.cursors = [null];
  state.page = 0;
  const url = new URL(window.location.href);
  if (state.prefix) url.searchParams.set("prefix", state.prefix);
  else url.searchParams.delete("prefix");
  history.replaceState(null, "", url);
  load();
});
document.getElementById("next").addEventListener("click", () => {
  if (!state.next) return;
  state.cursors[state.page + 1] = state.next;
  state.page += 1;
  load();
});
document.getElementById("previous").addEventListener("click", () => {
  if (state.page === 0) return;
  state.page -= 1;
  load();
});

state.prefix = new URLSearchParams(window.location.search).get("prefix") || "";
document.getElementById("prefix").value = state.prefix;
load();
