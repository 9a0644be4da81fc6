// Mustafeed demo page: renders the emulator's two chats live and sends people's actions.
// Text is only ever inserted as text nodes; formatting comes from Telegram entities.
"use strict";

const ENTITY_TAGS = {
  bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
  blockquote: "blockquote", expandable_blockquote: "blockquote", spoiler: "span",
  text_link: "a", url: "a", bot_command: "span", mention: "span", hashtag: "span",
  custom_emoji: "span",
};
const SAFE_URL = /^(https?:|tg:)/i;
const panels = new Map();
let lastToast = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

async function post(path, body) {
  const options = body instanceof FormData
    ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    throw new Error(answer.error || response.statusText);
  }
  return response.json();
}

// -- formatted text ------------------------------------------------------------------------

function entityElement(entity, text) {
  const node = document.createElement(ENTITY_TAGS[entity.type]);
  if (entity.type === "spoiler") {
    node.className = "spoiler";
    node.addEventListener("click", () => node.classList.toggle("revealed"));
  } else if (entity.type === "bot_command") {
    node.className = "command";
  } else if (entity.type === "mention" || entity.type === "hashtag") {
    node.className = "mention";
  } else if (entity.type === "text_link" || entity.type === "url") {
    const url = entity.type === "url" ? text.slice(entity.offset, entity.offset + entity.length) : entity.url;
    if (SAFE_URL.test(url || "")) {
      node.href = url;
      node.target = "_blank";
      node.rel = "noopener noreferrer";
    }
  }
  return node;
}

// Entities are nested ranges in UTF-16 units (JS string indices); unknown types stay text.
function appendRange(parent, text, entities, start, end) {
  let position = start;
  let index = 0;
  while (index < entities.length && entities[index].offset < end) {
    const entity = entities[index];
    if (entity.offset < position) { index += 1; continue; }
    if (entity.offset > position) parent.append(text.slice(position, entity.offset));
    const stop = Math.min(entity.offset + entity.length, end);
    let next = index + 1;
    while (next < entities.length && entities[next].offset < stop) next += 1;
    const node = entityElement(entity, text);
    appendRange(node, text, entities.slice(index + 1, next), entity.offset, stop);
    parent.append(node);
    position = stop;
    index = next;
  }
  if (position < end) parent.append(text.slice(position, end));
}

function formattedText(text, entities) {
  const node = el("div", "text");
  node.dir = "auto";
  const known = (entities || [])
    .filter((e) => ENTITY_TAGS[e.type] && e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  appendRange(node, text, known, 0, text.length);
  return node;
}

// -- messages ------------------------------------------------------------------------------

function sizeLabel(bytes) {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1)} م.ب`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} ك.ب`;
  return `${bytes} بايت`;
}

function mediaNode(media, panel) {
  if (media.kind === "sticker") return el("div", "sticker", media.emoji);
  if (!media.url) return el("div", "document", media.name);
  if (media.kind === "photo") {
    const image = el("img", "photo");
    image.src = media.url;
    image.alt = "صورة";
    image.addEventListener("load", () => panel.stickToBottom());
    image.addEventListener("click", () => window.open(media.url, "_blank", "noopener"));
    return image;
  }
  if (media.kind === "audio" || media.kind === "video") {
    const player = el(media.kind);
    player.src = media.url;
    player.controls = true;
    return player;
  }
  const link = el("a", "document");
  link.href = media.url;
  link.download = media.name;
  const icon = el("span", "doc-icon");
  const glyph = el("img");
  glyph.src = "/static/document.svg";
  glyph.alt = "";
  icon.append(glyph);
  link.append(icon);
  const info = el("span");
  info.append(el("div", "doc-name", media.name), el("div", "doc-size", sizeLabel(media.size)));
  link.append(info);
  return link;
}

function inlineKeyboard(rows, message, panel) {
  const box = el("div", "inline-kb");
  for (const row of rows) {
    const line = el("div", "kb-row");
    for (const button of row) {
      if (button.url && SAFE_URL.test(button.url)) {
        const link = el("a", null, `${button.text} ↗`);
        link.href = button.url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        line.append(link);
        continue;
      }
      const node = el("button", null, button.text);
      node.type = "button";
      if (button.callback_data === undefined) {
        node.disabled = true;
      } else {
        node.addEventListener("click", () => panel.act("/demo/api/press",
          { panel: panel.key, message_id: message.id, data: button.callback_data }));
      }
      line.append(node);
    }
    box.append(line);
  }
  return box;
}

function messageNode(message, panel) {
  const wrapper = el("div", `msg ${message.out ? "out" : "in"}${message.deleted ? " deleted" : ""}`);
  wrapper.dataset.id = message.id;
  const bubble = el("div", "bubble");
  wrapper.append(bubble);
  if (message.deleted) {
    bubble.append(el("div", "text", "🗑 حُذفت هذه الرسالة"));
    return wrapper;
  }
  if (panel.isGroup && !message.out) {
    bubble.append(el("div", `sender${message.from_bot ? " bot" : ""}`, message.sender));
  }
  if (message.forwarded_from) bubble.append(el("div", "forwarded", `مُعاد توجيهها من ${message.forwarded_from}`));
  if (message.reply_to) {
    const quote = el("div", "quote");
    quote.append(el("div", "quote-sender", message.reply_to.sender),
      el("div", "quote-text", message.reply_to.snippet));
    quote.addEventListener("click", () => panel.scrollTo(message.reply_to.id));
    bubble.append(quote);
  }
  if (message.media) bubble.append(mediaNode(message.media, panel));
  if (message.card) {
    const card = el("div", "card");
    card.append(el("span", "card-icon", message.card.icon));
    const lines = el("div");
    for (const line of message.card.lines) {
      const node = el("div", "card-line", line);
      node.dir = "auto";
      lines.append(node);
    }
    card.append(lines);
    bubble.append(card);
  }
  const meta = el("span", "meta", `${message.edited ? "معدّلة · " : ""}${message.time}`);
  if (message.text) {
    const text = formattedText(message.text, message.entities);
    text.append(meta);
    bubble.append(text);
  } else {
    bubble.append(meta);
  }
  if (message.inline_keyboard) wrapper.append(inlineKeyboard(message.inline_keyboard, message, panel));
  if (panel.key === "staff") {
    wrapper.classList.add("repliable");
    const reply = el("button", "reply-btn");
    const glyph = el("img");
    glyph.src = "/static/reply.svg";
    glyph.alt = "";
    reply.append(glyph);
    reply.type = "button";
    reply.title = "رد على هذه الرسالة";
    reply.addEventListener("click", () => panel.setReply(message));
    wrapper.append(reply);
  }
  return wrapper;
}

// -- a phone panel -------------------------------------------------------------------------

class PanelView {
  constructor(state) {
    this.key = state.key;
    this.isGroup = state.is_group;
    this.nodes = new Map();
    this.replyTo = null;
    this.forcedReplies = new Set();
    const template = document.getElementById("panel-template");
    this.root = template.content.firstElementChild.cloneNode(true);
    this.root.dataset.panel = this.key;
    this.find(".label-text").textContent = state.label;
    this.find(".holder").textContent = state.holder;
    this.list = this.find(".messages");
    this.keyboard = this.find(".keyboard");
    this.input = this.find(".text-input");
    this.find(".composer").addEventListener("submit", (event) => { event.preventDefault(); this.send(); });
    this.find(".file-input").addEventListener("change", (event) => this.upload(event.target));
    this.find(".reply-cancel").addEventListener("click", () => this.setReply(null));
    this.find(".alert-ok").addEventListener("click", () => { this.find(".alert-backdrop").hidden = true; });
    document.querySelector(".panels").append(this.root);
  }

  find(selector) { return this.root.querySelector(selector); }

  update(state) {
    this.find(".chat-title").textContent = state.title;
    this.find(".chat-subtitle").textContent = state.subtitle;
    this.find(".avatar").textContent = (state.title || "؟").trim().charAt(0);
    const nearBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
    const known = this.nodes.size;
    this.renderMessages(state.messages);
    this.renderKeyboard(state.keyboard);
    this.followForceReply(state.messages);
    if (nearBottom || state.messages.length > known) this.stickToBottom();
  }

  renderMessages(messages) {
    if (!messages.length) {
      this.list.replaceChildren(el("div", "empty", "لا توجد رسائل بعد — ابدأ بإرسال /start"));
      this.nodes.clear();
      return;
    }
    const seen = new Set();
    let previous = null;
    for (const message of messages) {
      const signature = JSON.stringify(message);
      let entry = this.nodes.get(message.id);
      if (!entry || entry.signature !== signature) {
        const node = messageNode(message, this);
        if (entry) entry.node.replaceWith(node);
        entry = { signature, node };
        this.nodes.set(message.id, entry);
      }
      const expected = previous ? previous.nextSibling : this.list.firstChild;
      if (entry.node !== expected) this.list.insertBefore(entry.node, expected);
      previous = entry.node;
      seen.add(message.id);
    }
    for (const [id, entry] of this.nodes) {
      if (!seen.has(id)) { entry.node.remove(); this.nodes.delete(id); }
    }
    for (const stray of this.list.querySelectorAll(".empty")) stray.remove();
  }

  renderKeyboard(markup) {
    this.keyboard.replaceChildren();
    const rows = markup && markup.keyboard;
    this.keyboard.hidden = !rows;
    this.input.placeholder = (markup && markup.input_field_placeholder) || "اكتب رسالة…";
    if (!rows) return;
    for (const row of rows) {
      const line = el("div", "kb-row");
      for (const button of row) {
        const icon = button.request_contact ? "☎ " : button.request_location ? "⌖ " : "";
        const node = el("button", null, icon + button.text);
        node.type = "button";
        node.addEventListener("click", () => this.act("/demo/api/keyboard", { panel: this.key, text: button.text }));
        line.append(node);
      }
      this.keyboard.append(line);
    }
  }

  followForceReply(messages) {
    const last = messages[messages.length - 1];
    if (last && last.from_bot && last.force_reply && !this.forcedReplies.has(last.id)) {
      this.forcedReplies.add(last.id);
      this.setReply(last);
    }
  }

  setReply(message) {
    this.replyTo = message ? message.id : null;
    this.find(".reply-bar").hidden = !message;
    if (message) {
      this.find(".reply-sender").textContent = `الرد على ${message.sender}`;
      this.find(".reply-snippet").textContent = message.text || (message.media ? message.media.name : "رسالة");
      this.input.focus();
    }
  }

  stickToBottom() { this.list.scrollTop = this.list.scrollHeight; }

  scrollTo(messageId) {
    const entry = this.nodes.get(messageId);
    if (entry) entry.node.scrollIntoView({ behavior: "smooth", block: "center" });
  }

  async act(path, body) {
    try {
      await post(path, body);
    } catch (error) {
      this.toast(`تعذّر التنفيذ: ${error.message}`);
    }
  }

  async send() {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    const reply = this.replyTo;
    this.setReply(null);
    await this.act("/demo/api/send", { panel: this.key, text, reply_to: reply });
  }

  async upload(input) {
    const file = input.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("panel", this.key);
    form.append("file", file, file.name);
    form.append("caption", this.input.value.trim());
    if (this.replyTo) form.append("reply_to", String(this.replyTo));
    this.input.value = "";
    input.value = "";
    this.setReply(null);
    await this.act("/demo/api/upload", form);
  }

  toast(text) {
    const node = this.find(".toast");
    node.textContent = text;
    node.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { node.hidden = true; }, 2600);
  }

  alert(text) {
    this.find(".alert-text").textContent = text;
    this.find(".alert-backdrop").hidden = false;
  }
}

// -- live updates --------------------------------------------------------------------------

function showToasts(toasts) {
  const newest = toasts.length ? toasts[toasts.length - 1].seq : 0;
  if (lastToast === null) { lastToast = newest; return; }
  for (const toast of toasts) {
    if (toast.seq <= lastToast) continue;
    const panel = panels.get(toast.panel);
    if (panel) (toast.show_alert ? panel.alert(toast.text) : panel.toast(toast.text));
  }
  lastToast = Math.max(lastToast, newest);
}

function render(state) {
  for (const panelState of state.panels) {
    if (!panels.has(panelState.key)) panels.set(panelState.key, new PanelView(panelState));
    panels.get(panelState.key).update(panelState);
  }
  showToasts(state.toasts);
}

function setStatus(online) {
  const status = document.getElementById("status");
  status.className = `status ${online ? "online" : "offline"}`;
  status.textContent = online ? "متصل بالمحاكي" : "انقطع الاتصال — إعادة المحاولة…";
}

async function poll() {
  let since = -1;
  for (;;) {
    try {
      const response = await fetch(`/demo/api/state?since=${since}`, { cache: "no-store" });
      if (!response.ok) throw new Error(response.statusText);
      const state = await response.json();
      since = state.version;
      render(state);
      setStatus(true);
    } catch (error) {
      setStatus(false);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  }
}

poll();
