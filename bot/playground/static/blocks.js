// Block Kit → DOM, close enough to Slack's look to judge a message: header, section (text, fields,
// accessory), context, divider, actions (buttons with styles, menus), image, file, input, rich_text.
// A block or element this file does not know is shown as a labelled placeholder, never dropped.
//
//   const node = renderBlocks(blocks, {names, onAction: (a) => send(a)});
//
// Pure: builds nodes from data with textContent only; clicks call ctx.onAction with what Slack's
// block_actions payload would carry ({action_id, block_id, value | selected_option, type}).

import { el, textNode, appendMrkdwn } from "./mrkdwn.js";

function optionLabel(option) {
  return String(option?.text?.text ?? option?.value ?? "");
}

function button(element, block, ctx) {
  const style = element.style === "primary" || element.style === "danger" ? ` ${element.style}` : "";
  const node = el("button", `bk-button${style}`);
  node.type = "button";
  node.append(textNode(element.text, ctx.names));
  node.dataset.actionId = element.action_id ?? "";
  if (element.url) node.title = String(element.url);
  node.addEventListener("click", () => {
    if (element.url) window.open(String(element.url), "_blank", "noopener,noreferrer");
    ctx.onAction?.({ action_id: element.action_id, block_id: block.block_id, value: element.value ?? "", type: "button" });
  });
  return node;
}

function options(element) {
  const groups = element.option_groups ?? [{ options: element.options ?? [] }];
  return groups.flatMap((g) => g.options ?? []);
}

function select(element, block, ctx) {
  const node = el("select", "bk-select");
  node.dataset.actionId = element.action_id ?? "";
  const choices = options(element);
  const placeholder = el("option", "", optionLabel({ text: element.placeholder }) || "Choose…");
  placeholder.value = "";
  placeholder.disabled = true;
  node.append(placeholder);
  choices.forEach((option, i) => {
    const item = el("option", "", optionLabel(option));
    item.value = String(i);
    node.append(item);
  });
  const initial = element.initial_option ? choices.findIndex((o) => o.value === element.initial_option.value) : -1;
  node.value = initial >= 0 ? String(initial) : "";
  node.addEventListener("change", () => {
    const option = choices[Number(node.value)];
    if (!option) return;
    ctx.onAction?.({ action_id: element.action_id, block_id: block.block_id, selected_option: option, type: element.type });
  });
  return node;
}

function image(element) {
  // Only the sandbox's own files are loaded (slack_file); an outside URL would leave loopback.
  const fileId = element.slack_file?.id;
  if (fileId) {
    const img = el("img", "bk-image");
    img.src = `/files/${encodeURIComponent(fileId)}`;
    img.alt = String(element.alt_text ?? "");
    return img;
  }
  return el("span", "bk-external", `[image: ${element.alt_text || element.image_url || "?"}]`);
}

function placeholder(kind, what) {
  const node = el("div", "bk-unknown", `Unsupported ${what} “${kind}” (not drawn by the playground)`);
  node.dataset.type = String(kind);
  return node;
}

/** One interactive or context element. */
export function renderElement(element, block, ctx) {
  const kind = element?.type;
  if (kind === "button") return button(element, block, ctx);
  if (kind === "static_select" || kind === "external_select" || kind === "overflow") return select(element, block, ctx);
  if (kind === "plain_text" || kind === "mrkdwn") return textNode(element, ctx.names, "span", "bk-text");
  if (kind === "image") return image(element);
  if (typeof kind === "string" && /select|picker|input|checkboxes|radio_buttons/.test(kind)) {
    const shown = optionLabel(element.initial_option) || element.initial_value || optionLabel({ text: element.placeholder });
    return el("span", "bk-widget", `[${shown || kind}]`);
  }
  return placeholder(kind, "element");
}

function section(block, ctx) {
  const node = el("div", "bk-section");
  const body = node.appendChild(el("div", "bk-section-body"));
  if (block.text) body.append(textNode(block.text, ctx.names, "div", "bk-text"));
  if (block.fields?.length) {
    const grid = body.appendChild(el("div", "bk-fields"));
    block.fields.forEach((f) => grid.append(textNode(f, ctx.names, "div", "bk-field")));
  }
  if (block.accessory) node.appendChild(el("div", "bk-accessory")).append(renderElement(block.accessory, block, ctx));
  return node;
}

function richText(node, parent) {
  // rich_text: sections, lists, quotes and preformatted text, with their text runs (styles kept simple).
  for (const part of node.elements ?? []) {
    if (typeof part.text === "string") {
      const run = el(part.style?.code ? "code" : part.style?.bold ? "b" : part.style?.italic ? "i" : "span", "", part.text);
      parent.append(run);
    } else if (part.type === "link") {
      parent.append(el("span", "link", String(part.text ?? part.url ?? "")));
    } else if (part.type === "user" || part.type === "channel") {
      parent.append(el("span", "mention", (part.type === "user" ? "@" : "#") + (part.user_id ?? part.channel_id)));
    } else {
      const tag = part.type === "rich_text_preformatted" ? "pre" : part.type === "rich_text_list" ? "ul" : "div";
      richText(part, parent.appendChild(el(tag, part.type ?? "")));
    }
  }
}

/** One block as a node (a labelled placeholder when the type is unknown). */
export function renderBlock(block, ctx = {}) {
  const names = ctx.names ?? {};
  const c = { ...ctx, names };
  let node;
  switch (block?.type) {
    case "header":
      node = textNode(block.text, names, "div", "bk-header");
      break;
    case "section":
      node = section(block, c);
      break;
    case "context":
      node = el("div", "bk-context");
      (block.elements ?? []).forEach((e) => node.append(renderElement(e, block, c)));
      break;
    case "divider":
      node = el("hr", "bk-divider");
      break;
    case "actions":
      node = el("div", "bk-actions");
      (block.elements ?? []).forEach((e) => node.append(renderElement(e, block, c)));
      break;
    case "image":
      node = el("figure", "bk-image-block");
      if (block.title) node.append(textNode(block.title, names, "figcaption"));
      node.append(image(block));
      break;
    case "file":
      node = el("div", "bk-file", `📎 file ${block.external_id ?? ""}`);
      break;
    case "markdown":
      node = el("div", "bk-markdown");
      appendMrkdwn(node, block.text ?? "", names);
      break;
    case "rich_text":
      node = el("div", "bk-rich-text");
      richText(block, node);
      break;
    case "input":
      node = el("div", "bk-input");
      node.append(textNode(block.label, names, "label"), renderElement(block.element ?? {}, block, c));
      break;
    default:
      node = placeholder(block?.type, "block");
  }
  node.classList.add("bk-block");
  node.dataset.block = String(block?.type ?? "");
  if (block?.block_id) node.dataset.blockId = String(block.block_id);
  return node;
}

/** A list of blocks in a container div. */
export function renderBlocks(blocks, ctx = {}) {
  const node = el("div", "bk-blocks");
  (blocks ?? []).forEach((b) => node.append(renderBlock(b, ctx)));
  return node;
}
