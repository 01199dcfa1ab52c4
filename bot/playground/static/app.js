// The playground page: a Slack-like workspace over the playground's JSON API.
// It polls /api/state for the chosen person, draws the sidebar, the channel with its threads and the
// open modal, and turns typing, clicks and Submit into API calls that the server signs and sends to the bot.

import { el, appendMrkdwn } from "./mrkdwn.js";
import { renderBlocks } from "./blocks.js";
import { renderModal, showErrors } from "./modal.js";

const POLL_MS = 400;
const params = new URLSearchParams(location.search);
const ui = {
  user: params.get("user") || "U_ALICE",
  channel: params.get("channel") || "C_GENERAL",
  snapshot: null,
  shown: "", // the last snapshot drawn, as JSON, to skip redraws that change nothing
  nodes: new Map(), // feed id → {sig, node}: unchanged messages keep their nodes (and loaded images)
  dialog: null,
  dialogKey: "",
};

async function api(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: ui.user, ...body }),
  });
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  return { ok: response.ok, ...answer };
}

function status(text, kind = "") {
  const node = document.getElementById("status");
  node.textContent = text;
  node.className = kind;
}

function time(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function messageNode(item, names) {
  const node = el("div", item.ephemeral ? "msg ephemeral" : "msg");
  node.dataset.itemId = item.id;
  node.append(el("div", "avatar", "C"));
  const main = node.appendChild(el("div", "msg-main"));
  const head = main.appendChild(el("div", "msg-head"));
  head.append(el("b", "author", "cekura"), el("span", "app-badge", "APP"), el("time", "", time(item.sort)));
  if (item.edited) head.append(el("span", "edited", "(edited)"));
  if (item.ephemeral) main.append(el("div", "only-you", "Only visible to you"));
  if (item.command) main.append(el("div", "command", item.command));
  const onAction = async (action) => {
    status(`sending ${action.action_id}…`);
    const answer = await api("/api/action", { item: item.id, ...action });
    status(answer.ok ? `block_actions acked in ${answer.ms} ms` : answer.error || "failed", answer.ok ? "" : "error");
    poll();
  };
  if (item.blocks.length) main.append(renderBlocks(item.blocks, { names, onAction }));
  else main.append(appendMrkdwn(el("div", "msg-text"), item.text, names));
  for (const file of item.files) {
    const figure = main.appendChild(el("figure", "file"));
    const img = figure.appendChild(el("img", "file-image"));
    img.src = file.url;
    img.alt = file.title;
    img.loading = "eager";
    figure.append(el("figcaption", "", file.title));
  }
  return node;
}

function cached(item, names) {
  const sig = JSON.stringify(item);
  const hit = ui.nodes.get(item.id);
  if (hit && hit.sig === sig) return hit.node;
  const node = messageNode(item, names);
  ui.nodes.set(item.id, { sig, node });
  return node;
}

function drawFeed(snapshot) {
  const feed = document.getElementById("feed");
  const items = snapshot.items.filter((i) => i.channel === ui.channel);
  const replies = new Map();
  for (const item of items) {
    if (item.thread_ts) replies.set(item.thread_ts, [...(replies.get(item.thread_ts) || []), item]);
  }
  const known = new Set(items.map((i) => i.ts));
  const rows = [];
  for (const item of items) {
    if (item.thread_ts && known.has(item.thread_ts)) continue; // drawn in its parent's thread
    const row = el("div", "row");
    row.append(cached(item, snapshot.names));
    const thread = replies.get(item.ts);
    if (thread?.length) {
      const box = row.appendChild(el("div", "thread"));
      box.append(el("div", "thread-head", `${thread.length} ${thread.length === 1 ? "reply" : "replies"}`));
      thread.forEach((reply) => box.append(cached(reply, snapshot.names)));
    }
    rows.push(row);
  }
  const atBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 40;
  feed.replaceChildren(...rows);
  if (!rows.length) feed.append(el("div", "empty", "No messages yet. Type /cekura help below."));
  if (atBottom) feed.scrollTop = feed.scrollHeight;
}

function drawSidebar(snapshot) {
  const list = document.getElementById("channels");
  const counts = new Map();
  snapshot.items.forEach((i) => counts.set(i.channel, (counts.get(i.channel) || 0) + 1));
  list.replaceChildren(
    ...snapshot.channels.map((c) => {
      const item = el("li", c.id === ui.channel ? "channel current" : "channel");
      item.dataset.channel = c.id;
      item.append(el("span", "sigil", c.dm ? "●" : c.private ? "🔒" : "#"), el("span", "", c.name));
      if (!c.bot_member && !c.dm) item.append(el("span", "tag", "bot not in"));
      if (c.archived) item.append(el("span", "tag", "archived"));
      if (counts.get(c.id)) item.append(el("span", "count", String(counts.get(c.id))));
      item.addEventListener("click", () => {
        ui.channel = c.id;
        ui.shown = "";
        draw(ui.snapshot);
      });
      return item;
    }),
  );
  const current = snapshot.channels.find((c) => c.id === ui.channel);
  document.getElementById("channel-name").textContent = current ? (current.dm ? "" : "#") + current.name : ui.channel;
  document.getElementById("composer").placeholder = `Message ${current ? current.name : ""} — try /cekura dashboard 12 since 24h`;
}

function drawModal(snapshot) {
  const view = snapshot.modal;
  const key = view ? `${view.id}:${view.hash}` : "";
  if (key === ui.dialogKey) return;
  ui.dialog?.close();
  ui.dialog?.remove();
  ui.dialog = null;
  ui.dialogKey = key;
  if (!view) return;
  const dialog = renderModal(view, {
    names: snapshot.names,
    onClose: async () => {
      await api("/api/close", { view_id: view.id });
      poll();
    },
    onSubmit: async (values) => {
      status("submitting the form…");
      const answer = await api("/api/submit", { view_id: view.id, values });
      const errors = answer.errors || {};
      showErrors(dialog, errors);
      status(Object.keys(errors).length ? "the bot refused the form: see the fields" : "view_submission acked");
      poll();
    },
  });
  document.body.append(dialog);
  dialog.showModal();
  ui.dialog = dialog;
}

function draw(snapshot) {
  document.getElementById("clock").textContent = `bot clock ${snapshot.now.replace("T", " ")}`;
  const jump = document.getElementById("jump");
  jump.disabled = !snapshot.next_digest;
  jump.title = snapshot.next_digest ? `next digest slot: ${snapshot.next_digest}` : "no digest scheduled";
  drawSidebar(snapshot);
  drawFeed(snapshot);
  drawModal(snapshot);
}

async function poll() {
  try {
    const response = await fetch(`/api/state?user=${encodeURIComponent(ui.user)}`);
    const text = await response.text();
    if (text === ui.shown) return;
    ui.shown = text;
    ui.snapshot = JSON.parse(text);
    draw(ui.snapshot);
  } catch (err) {
    status(`the playground server does not answer (${err})`, "error");
  }
}

function setUp() {
  const who = document.getElementById("user");
  fetch(`/api/state?user=${encodeURIComponent(ui.user)}`)
    .then((r) => r.json())
    .then((snapshot) => {
      who.replaceChildren(
        ...snapshot.people.map((p) => {
          const option = el("option", "", `@${p.name} — ${p.role}`);
          option.value = p.id;
          return option;
        }),
      );
      who.value = ui.user;
    });
  who.addEventListener("change", () => {
    ui.user = who.value;
    ui.shown = "";
    poll();
  });
  document.getElementById("compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("composer");
    const text = input.value.trim();
    if (!text) return;
    if (!text.startsWith("/cekura")) {
      status("The bot only hears slash commands here: start with /cekura (try /cekura help).", "error");
      return;
    }
    input.value = "";
    status(`sending ${text}…`);
    const answer = await api("/api/command", { channel: ui.channel, text });
    status(answer.ok ? `slash command acked in ${answer.ms} ms` : answer.error || "failed", answer.ok ? "" : "error");
    poll();
  });
  document.getElementById("jump").addEventListener("click", async () => {
    status("jumping to the next digest slot and running the scheduler…");
    const answer = await api("/api/jump", {});
    if (answer.ok) {
      const sent = answer.outcomes?.sent ?? 0;
      status(`clock moved to ${answer.slot}: ${sent} digest(s) sent`);
    } else {
      status(answer.error || "failed", "error");
    }
    poll();
  });
  poll();
  setInterval(poll, POLL_MS);
}

setUp();
