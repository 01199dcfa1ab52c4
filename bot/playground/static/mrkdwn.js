// Slack mrkdwn → DOM nodes. Every piece of text goes in with textContent / createTextNode, never as HTML:
// the messages carry user input (filters, names) and some tests make it hostile on purpose.
//
//   appendMrkdwn(parent, "*Calls* in <#C_GENERAL> by <@U_ALICE> :warning:", {names})

// A few shortcodes the bot uses, drawn as the emoji; any other `:name:` stays as its text.
const EMOJI = {
  warning: "⚠️", x: "❌", white_check_mark: "✅", hourglass: "⌛", hourglass_flowing_sand: "⏳",
  bar_chart: "📊", chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉", calendar: "📅",
  clock9: "🕘", lock: "🔒", pencil2: "✏️", memo: "📝", no_entry: "⛔", information_source: "ℹ️",
  heavy_check_mark: "✔️", arrows_counterclockwise: "🔄", mailbox: "📫", pause_button: "⏸️",
  arrow_forward: "▶️", wastebasket: "🗑️", mag: "🔍", bulb: "💡", tada: "🎉", link: "🔗",
};

// One inline token: <…> markup, `code`, *bold*, _italic_, ~strike~, :emoji:.
const INLINE = /<([^<>\s][^<>]*)>|`([^`\n]+)`|\*(?=\S)([^*\n]*?\S)\*|(?<![\w])_(?=\S)([^_\n]*?\S)_(?![\w])|~(?=\S)([^~\n]*?\S)~|:([a-z0-9_+\-]+):/;

function entities(text) {
  // Slack escapes these three in message text; turning them back is text-only, nothing is parsed as HTML.
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function angle(target, names) {
  // <https://x|label>, <#C1|name>, <@U1>, <!here>, <!subteam^S1|@x>, <!date^…|fallback>
  const bar = target.indexOf("|");
  const ref = bar < 0 ? target : target.slice(0, bar);
  const label = bar < 0 ? "" : entities(target.slice(bar + 1));
  if (ref.startsWith("@")) {
    return el("span", "mention", "@" + (label || names[ref.slice(1)] || ref.slice(1)));
  }
  if (ref.startsWith("#")) {
    return el("span", "mention channel", "#" + (label || names[ref.slice(1)] || ref.slice(1)));
  }
  if (ref.startsWith("!subteam^")) {
    const group = ref.slice("!subteam^".length);
    return el("span", "mention", label || "@" + (names[group] || group));
  }
  if (ref.startsWith("!date^")) return el("span", "date", label || ref);
  if (ref.startsWith("!")) return el("span", "mention", label || "@" + ref.slice(1));
  if (/^(https?:|mailto:|tel:)/.test(ref)) {
    const a = el("a", "link", label || entities(ref));
    a.href = entities(ref); // an attribute set from JS is never parsed as markup; the scheme is checked above
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  return document.createTextNode("<" + entities(target) + ">");
}

function inline(parent, text, names) {
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      parent.append(document.createTextNode(entities(rest)));
      return;
    }
    if (m.index) parent.append(document.createTextNode(entities(rest.slice(0, m.index))));
    const [whole, target, code, bold, italic, strike, emoji] = m;
    if (target !== undefined) parent.append(angle(target, names));
    else if (code !== undefined) parent.append(el("code", "", entities(code)));
    else if (bold !== undefined) inline(parent.appendChild(el("b")), bold, names);
    else if (italic !== undefined) inline(parent.appendChild(el("i")), italic, names);
    else if (strike !== undefined) inline(parent.appendChild(el("s")), strike, names);
    else {
      const node = el("span", "emoji", EMOJI[emoji] || `:${emoji}:`);
      node.title = `:${emoji}:`;
      node.dataset.name = emoji;
      parent.append(node);
    }
    rest = rest.slice(m.index + whole.length);
  }
}

/** Append `text` (Slack mrkdwn) to `parent` as formatted nodes; `names` maps user/channel ids to names. */
export function appendMrkdwn(parent, text, names = {}) {
  const parts = String(text ?? "").split("```");
  parts.forEach((part, n) => {
    if (n % 2 === 1) {
      parent.append(el("pre", "", entities(part.replace(/^\n/, ""))));
      return;
    }
    const lines = part.split("\n");
    lines.forEach((line, i) => {
      if (line.startsWith("&gt; ") || line.startsWith("> ")) {
        inline(parent.appendChild(el("span", "quote")), line.replace(/^(&gt;|>) /, ""), names);
      } else {
        inline(parent, line, names);
      }
      if (i < lines.length - 1) parent.append(el("br"));
    });
  });
  return parent;
}

/** A text object (plain_text or mrkdwn) as a node of `tag`. */
export function textNode(obj, names = {}, tag = "span", className = "") {
  const node = el(tag, className);
  if (obj == null) return node;
  if (typeof obj === "string") node.textContent = obj;
  else if (obj.type === "mrkdwn") appendMrkdwn(node, obj.text, names);
  else if (obj.emoji === false) node.textContent = String(obj.text ?? "");
  else node.textContent = String(obj.text ?? "").replace(/:([a-z0-9_+\-]+):/g, (all, name) => EMOJI[name] || all);
  return node;
}

export { el };
