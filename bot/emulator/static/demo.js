// Mustafeed demo page: renders the emulator's chats live (a Telegram phone, a WhatsApp phone and
// the staff group) and sends people's actions. Text is only ever inserted as text nodes;
// formatting comes from Telegram entities or WhatsApp's own *bold* _italic_ marks.
"use strict";

const ENTITY_TAGS = {
  bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
  blockquote: "blockquote", expandable_blockquote: "blockquote", spoiler: "span",
  text_link: "a", url: "a", bot_command: "span", mention: "span", hashtag: "span",
  custom_emoji: "span",
};
const WA_MARKS = /```([\s\S]+?)```|\*([^*\n]+)\*|_([^_\n]+)_|~([^~\n]+)~/g;
const WA_TAGS = ["code", "b", "i", "s"];
const REFERENCE = /\b[A-Z]{2,4}-\d{4}-\d{3,6}\b/g;
const COMMAND = /(^|[\s(«\u200e\u200f\u2066\u2068])(\/[a-z][a-z_]{1,31})(?![\w/])/g;
const LINKED = /(^|[\s(«\u200e\u200f\u2066\u2068])(\/[a-z][a-z_]{1,31})(?![\w/])|\b[A-Z]{2,4}-\d{4}-\d{3,6}\b/g;
const SAFE_URL = /^(https?:|tg:)/i;
const TAB_NAMES = { beneficiary: "تيليجرام", staff: "فريق الجمعية", whatsapp: "واتساب" };
const NARROW = window.matchMedia("(max-width: 760px)");
const MEDIUM = window.matchMedia("(max-width: 1260px)");
const panels = new Map();
let lastToast = null;
let view = null;
let beneficiaryView = "beneficiary";

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

// Plain text, with /commands made clickable as Telegram does (and kept left-to-right inside
// Arabic), and in the staff group case references (REQ-1448-0001) that fill in /find.
function appendPlain(parent, text, panel) {
  if (!panel || panel.isWhatsApp) { parent.append(text); return; }
  const pattern = panel.linkReferences ? LINKED : COMMAND;
  let position = 0;
  for (const match of text.matchAll(pattern)) {
    const [found, lead, command] = [match[0], match[1] || "", match[2]];
    const start = match.index + lead.length;
    if (start > position) parent.append(text.slice(position, start));
    if (command) {
      const node = el("span", "command", command);
      node.dir = "ltr";
      node.addEventListener("click", (event) => { event.stopPropagation(); panel.command(command); });
      parent.append(node);
    } else {
      const ref = el("span", "ref", found);
      ref.dir = "ltr";
      ref.title = `اعرض ${found} بالأمر /find`;
      ref.addEventListener("click", (event) => { event.stopPropagation(); panel.fill(`/find ${found}`); });
      parent.append(ref);
    }
    position = match.index + found.length;
  }
  if (position < text.length) parent.append(text.slice(position));
}

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
function appendRange(parent, text, entities, start, end, panel) {
  let position = start;
  let index = 0;
  while (index < entities.length && entities[index].offset < end) {
    const entity = entities[index];
    if (entity.offset < position) { index += 1; continue; }
    if (entity.offset > position) appendPlain(parent, text.slice(position, entity.offset), panel);
    const stop = Math.min(entity.offset + entity.length, end);
    let next = index + 1;
    while (next < entities.length && entities[next].offset < stop) next += 1;
    const node = entityElement(entity, text);
    appendRange(node, text, entities.slice(index + 1, next), entity.offset, stop, panel);
    parent.append(node);
    position = stop;
    index = next;
  }
  if (position < end) appendPlain(parent, text.slice(position, end), panel);
}

function formattedText(text, entities, panel) {
  const node = el("div", "text");
  node.dir = "auto";
  const known = (entities || [])
    .filter((e) => ENTITY_TAGS[e.type] && e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  appendRange(node, text, known, 0, text.length, panel);
  return node;
}

// WhatsApp's marks: *bold*, _italic_, ~strike~ and ```monospace```.
function whatsappText(text) {
  const node = el("div", "text");
  node.dir = "auto";
  let position = 0;
  for (const match of text.matchAll(WA_MARKS)) {
    if (match.index > position) node.append(text.slice(position, match.index));
    const group = [1, 2, 3, 4].find((n) => match[n] !== undefined);
    node.append(el(WA_TAGS[group - 1], null, match[group]));
    position = match.index + match[0].length;
  }
  if (position < text.length) node.append(text.slice(position));
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
          { panel: panel.key, message_id: message.id, data: button.callback_data, as: panel.acting }));
      }
      line.append(node);
    }
    box.append(line);
  }
  return box;
}

// A WhatsApp message's reply buttons (under the bubble) or its list button (inside it).
function whatsappChoices(message, panel, bubble, wrapper) {
  if (message.buttons && message.buttons.length) {
    const box = el("div", "wa-buttons");
    for (const choice of message.buttons) {
      const node = el("button", null, choice.title);
      node.type = "button";
      node.prepend(el("span", "wa-reply-glyph", "↩"));
      node.addEventListener("click", () => panel.act("/demo/api/press",
        { panel: panel.key, message_id: message.id, data: choice.id }));
      box.append(node);
    }
    wrapper.append(box);
  }
  if (message.list) {
    const open = el("button", "wa-list-button", message.list.button || "الخيارات");
    open.type = "button";
    open.prepend(el("span", "wa-list-glyph", "☰"));
    open.addEventListener("click", () => panel.openList(message));
    bubble.append(open);
  }
}

function quoteNode(reply, panel) {
  const quote = el("div", "quote");
  quote.append(el("div", "quote-sender", reply.sender), el("div", "quote-text", reply.snippet));
  quote.addEventListener("click", () => panel.scrollTo(reply.id));
  return quote;
}

function messageNode(message, panel) {
  const out = panel.isOut(message);
  const wrapper = el("div", `msg ${out ? "out" : "in"}${message.deleted ? " deleted" : ""}`);
  wrapper.dataset.id = message.id;
  const bubble = el("div", "bubble");
  wrapper.append(bubble);
  if (message.deleted) {
    bubble.append(el("div", "text", "🗑 حُذفت هذه الرسالة"));
    return wrapper;
  }
  if (panel.isGroup && !out) {
    const sender = el("div", `sender${message.from_bot ? " bot" : ""}`, message.sender);
    if (!message.from_bot) sender.dataset.hue = String((message.sender_id || 0) % 5);
    bubble.append(sender);
  }
  if (message.forwarded_from) bubble.append(el("div", "forwarded", `مُعاد توجيهها من ${message.forwarded_from}`));
  if (message.reply_to) bubble.append(quoteNode(message.reply_to, panel));
  if (message.header) bubble.append(el("div", "wa-header", message.header));
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
  if (out) meta.append(el("span", "ticks", " ✓✓"));
  if (message.text) {
    const text = panel.isWhatsApp ? whatsappText(message.text)
      : formattedText(message.text, message.entities, panel);
    if (message.footer) text.append(el("div", "wa-footer", message.footer));
    text.append(meta);
    bubble.append(text);
  } else {
    bubble.append(meta);
  }
  if (message.template) bubble.classList.add("template");
  if (panel.isWhatsApp) whatsappChoices(message, panel, bubble, wrapper);
  if (message.inline_keyboard) wrapper.append(inlineKeyboard(message.inline_keyboard, message, panel));
  const reply = el("button", "reply-btn");
  const glyph = el("img");
  glyph.src = "/static/reply.svg";
  glyph.alt = "";
  reply.append(glyph);
  reply.type = "button";
  reply.title = "رد على هذه الرسالة";
  reply.setAttribute("aria-label", "رد على هذه الرسالة");
  reply.addEventListener("click", () => panel.setReply(message));
  wrapper.append(reply);
  bubble.addEventListener("dblclick", () => panel.setReply(message));
  return wrapper;
}

// -- a phone panel -------------------------------------------------------------------------

const STAFF_CHIPS = [
  ["/queue", "📋 الطابور", true],
  ["/queue mine", "✋ حالاتي", true],
  ["/find ", "🔎 بحث برقم", false],
  ["/help", "❔ الأوامر", true],
];

class PanelView {
  constructor(state) {
    this.key = state.key;
    this.kind = state.kind || "telegram";
    this.isWhatsApp = this.kind === "whatsapp";
    this.isGroup = state.is_group;
    this.members = state.members || [];
    this.acting = this.members.length ? this.members[0].id : null;
    this.linkReferences = this.isGroup;
    this.nodes = new Map();
    this.replyTo = null;
    this.forcedReplies = new Set();
    this.unread = 0;
    this.known = null;
    const template = document.getElementById("panel-template");
    this.root = template.content.firstElementChild.cloneNode(true);
    this.root.dataset.panel = this.key;
    this.root.dataset.kind = this.kind;
    this.root.id = `panel-${this.key}`;
    this.find(".label-text").textContent = state.label;
    this.find(".holder").textContent = this.members.length ? "" : state.holder;
    this.list = this.find(".messages");
    this.keyboard = this.find(".keyboard");
    this.input = this.find(".text-input");
    this.fileInput = this.find(".file-input");
    this.find(".composer").addEventListener("submit", (event) => { event.preventDefault(); this.send(); });
    this.fileInput.addEventListener("change", (event) => this.upload(event.target));
    this.find(".attach").addEventListener("click", () => this.toggleAttach());
    this.find(".attach-document").addEventListener("click", () => this.pickFile(""));
    this.find(".attach-photo").addEventListener("click", () => this.pickFile("image/*"));
    this.find(".attach-location").addEventListener("click", () => {
      this.find(".attach-menu").hidden = true;
      this.act("/demo/api/location", { panel: this.key, as: this.acting });
    });
    this.find(".reply-cancel").addEventListener("click", () => this.setReply(null));
    this.find(".alert-ok").addEventListener("click", () => { this.find(".alert-backdrop").hidden = true; });
    this.find(".sheet-close").addEventListener("click", () => this.closeList());
    this.find(".sheet-send").addEventListener("click", () => this.sendListChoice());
    this.find(".start-button").addEventListener("click", () =>
      this.act("/demo/api/send", { panel: this.key, text: "/start" }));
    if (this.members.length) this.buildStaffTools();
    if (this.isWhatsApp) this.input.placeholder = "مراسلة";
    document.querySelector(".panels").append(this.root);
  }

  find(selector) { return this.root.querySelector(selector); }

  isOut(message) {
    if (this.members.length) return !message.from_bot && message.sender_id === this.acting;
    return message.out;
  }

  buildStaffTools() {
    const acting = this.find(".acting");
    acting.hidden = false;
    const choices = this.find(".acting-choices");
    for (const member of this.members) {
      const node = el("button", "acting-choice");
      node.type = "button";
      node.setAttribute("role", "radio");
      node.dataset.member = member.id;
      node.append(el("b", null, member.name), el("small", null, member.role));
      node.addEventListener("click", () => this.actAs(member.id));
      choices.append(node);
    }
    const chips = this.find(".chips");
    chips.hidden = false;
    for (const [command, label, sendNow] of STAFF_CHIPS) {
      const chip = el("button", "chip", label);
      chip.type = "button";
      chip.title = command.trim();
      chip.addEventListener("click", () => {
        if (sendNow) this.act("/demo/api/send", { panel: this.key, text: command, as: this.acting });
        else this.fill(command === "/find " ? `/find ${this.latestReference()}` : command);
      });
      chips.append(chip);
    }
    this.find(".reply-hint").hidden = false;
    this.actAs(this.acting);
  }

  actAs(memberId) {
    this.acting = memberId;
    for (const node of this.root.querySelectorAll(".acting-choice")) {
      const on = Number(node.dataset.member) === memberId;
      node.classList.toggle("on", on);
      node.setAttribute("aria-checked", String(on));
    }
    const member = this.members.find((m) => m.id === memberId);
    this.find(".holder").textContent = member ? `${member.name} · ${member.role}` : "";
    if (this.lastState) { this.nodes.clear(); this.list.replaceChildren(); this.update(this.lastState); }
  }

  latestReference() {
    const texts = [...this.list.querySelectorAll(".text")].map((n) => n.textContent).reverse();
    for (const text of texts) {
      const found = text.match(REFERENCE);
      if (found) return found[found.length - 1];
    }
    return "";
  }

  command(command) {  // a command in a message: sent at once, as Telegram does
    this.act("/demo/api/send", { panel: this.key, text: command, as: this.acting });
  }

  fill(text) {
    this.input.value = text;
    this.input.focus();
    this.input.setSelectionRange(text.length, text.length);
  }

  update(state) {
    this.lastState = state;
    this.find(".chat-title").textContent = state.title;
    this.find(".chat-subtitle").textContent = state.subtitle;
    this.find(".avatar").textContent = (state.title || "؟").trim().charAt(0);
    const nearBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
    const known = this.nodes.size;
    this.renderMessages(state.messages);
    this.renderKeyboard(state.keyboard);
    this.followForceReply(state.messages);
    const fresh = this.known === null ? 0 : state.messages.length - this.known;
    this.known = state.messages.length;
    if (fresh > 0 && !this.root.classList.contains("shown")) {
      this.unread += fresh;
      updateTabs();
    }
    const startable = this.kind === "telegram" && !this.isGroup && !state.messages.length;
    this.find(".start-button").hidden = !startable;
    this.find(".composer").hidden = startable;
    if (nearBottom || state.messages.length > known) this.stickToBottom();
  }

  emptyNote() {
    if (this.isWhatsApp) {
      return "🔒 هذا حساب أعمال تابع للجمعية. اكتب «مرحبا» لتبدأ المحادثة.";
    }
    if (this.isGroup) {
      return "ستصل هنا بطاقات الطلبات والاستفسارات من المستفيدين. جرّب \u2066/help\u2069 لترى أوامر الفريق.";
    }
    return "هذا مساعد الجمعية. اضغط «ابدأ» للبدء.";
  }

  renderMessages(messages) {
    if (!messages.length) {
      this.list.replaceChildren(el("div", "empty", this.emptyNote()));
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
    if (!this.isWhatsApp) {
      this.input.placeholder = (markup && markup.input_field_placeholder) || "اكتب رسالة…";
    }
    if (!rows) return;
    for (const row of rows) {
      const line = el("div", "kb-row");
      for (const button of row) {
        const icon = button.request_contact ? "☎ " : button.request_location ? "⌖ " : "";
        const node = el("button", null, icon + button.text);
        node.type = "button";
        node.addEventListener("click", () => this.act("/demo/api/keyboard", { panel: this.key, text: button.text, as: this.acting }));
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
      const sender = message.sender || (this.isWhatsApp && !message.out ? this.lastState.title : "أنت");
      this.find(".reply-sender").textContent = `الرد على ${sender}`;
      this.find(".reply-snippet").textContent = message.text || (message.media ? message.media.name : "رسالة");
      this.input.focus();
    }
  }

  toggleAttach() {
    const menu = this.find(".attach-menu");
    menu.hidden = !menu.hidden;
  }

  pickFile(accept) {
    this.find(".attach-menu").hidden = true;
    this.fileInput.accept = accept;
    this.fileInput.click();
  }

  openList(message) {
    this.listMessage = message;
    this.listChoice = null;
    this.find(".sheet-title").textContent = message.list.button || "الخيارات";
    const body = this.find(".sheet-body");
    body.replaceChildren();
    for (const section of message.list.sections) {
      if (section.title) body.append(el("div", "sheet-section", section.title));
      for (const row of section.rows) {
        const node = el("button", "sheet-row");
        node.type = "button";
        node.setAttribute("role", "radio");
        const words = el("span", "sheet-words");
        words.append(el("span", "sheet-row-title", row.title));
        if (row.description) words.append(el("span", "sheet-row-description", row.description));
        node.append(words, el("span", "radio"));
        node.addEventListener("click", () => {
          this.listChoice = row.id;
          for (const other of body.querySelectorAll(".sheet-row")) other.classList.remove("on");
          node.classList.add("on");
          this.find(".sheet-send").disabled = false;
        });
        body.append(node);
      }
    }
    this.find(".sheet-send").disabled = true;
    this.find(".sheet-backdrop").hidden = false;
  }

  closeList() { this.find(".sheet-backdrop").hidden = true; }

  async sendListChoice() {
    if (!this.listChoice) return;
    this.closeList();
    await this.act("/demo/api/press",
      { panel: this.key, message_id: this.listMessage.id, data: this.listChoice });
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
    await this.act("/demo/api/send", { panel: this.key, text, reply_to: reply, as: this.acting });
  }

  async upload(input) {
    const file = input.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("panel", this.key);
    form.append("file", file, file.name);
    form.append("caption", this.input.value.trim());
    if (this.acting) form.append("as", String(this.acting));
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

// -- which phones are shown: all on a wide screen, tabs on a narrow one ---------------------

function layoutMode() {
  if (NARROW.matches) return "narrow";
  return MEDIUM.matches ? "medium" : "wide";
}

function isShown(key, mode) {
  if (mode === "wide") return true;
  if (mode === "narrow") return key === view;
  return key === "staff" || key === beneficiaryView;  // medium: a beneficiary beside the staff
}

function selectView(key) {
  view = key;
  if (key !== "staff") beneficiaryView = key;
  updateTabs();
  const panel = panels.get(key);
  if (panel) panel.stickToBottom();
}

function updateTabs() {
  const mode = layoutMode();
  document.body.dataset.mode = mode;
  const tabs = document.getElementById("tabs");
  tabs.hidden = mode === "wide";
  if (!tabs.hidden && tabs.children.length !== panels.size) {
    tabs.replaceChildren();
    for (const key of panels.keys()) {
      const tab = el("button", "tab");
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.dataset.tab = key;
      tab.setAttribute("aria-controls", `panel-${key}`);
      tab.append(el("span", `tab-icon ${key}`), el("span", "tab-name", TAB_NAMES[key] || key),
        el("span", "badge"));
      tab.addEventListener("click", () => selectView(key));
      tabs.append(tab);
    }
  }
  for (const [key, panel] of panels) {
    const shown = isShown(key, mode);
    const wasShown = panel.root.classList.contains("shown");
    panel.root.classList.toggle("shown", shown);
    if (shown) panel.unread = 0;
    if (shown && !wasShown) requestAnimationFrame(() => panel.stickToBottom());
  }
  for (const tab of tabs.children) {
    const key = tab.dataset.tab;
    const selected = mode === "narrow" ? key === view : key === beneficiaryView;
    tab.hidden = mode === "medium" && key === "staff";
    tab.setAttribute("aria-selected", String(selected));
    const badge = tab.querySelector(".badge");
    const unread = panels.get(key).unread;
    badge.textContent = unread ? String(unread) : "";
    badge.hidden = !unread;
  }
}

NARROW.addEventListener("change", updateTabs);
MEDIUM.addEventListener("change", updateTabs);

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
  let added = false;
  for (const panelState of state.panels) {
    if (!panels.has(panelState.key)) {
      panels.set(panelState.key, new PanelView(panelState));
      added = true;
    }
  }
  if (view === null) {
    const wanted = new URLSearchParams(window.location.search).get("view")
      || window.location.hash.slice(1);
    view = panels.has(wanted) ? wanted : state.panels[0].key;
    if (view !== "staff") beneficiaryView = view;
  }
  if (added) updateTabs();
  for (const panelState of state.panels) panels.get(panelState.key).update(panelState);
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
