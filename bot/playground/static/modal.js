// A Slack modal as a <dialog>: title, blocks, input fields the person can fill, Cancel and Submit.
//
//   const dialog = renderModal(view, {names, onSubmit: (values) => …, onClose: () => …});
//   showErrors(dialog, {block_id: "message"});          // response_action: errors
//
// Inputs are read back into view.state.values as Slack sends them in view_submission.

import { el, textNode } from "./mrkdwn.js";
import { renderBlock } from "./blocks.js";

function inputField(block, names) {
  const element = block.element ?? {};
  const wrap = el("div", "bk-block bk-input");
  wrap.dataset.block = "input";
  wrap.dataset.blockId = String(block.block_id ?? "");
  const label = wrap.appendChild(textNode(block.label, names, "label", "bk-label"));
  if (block.optional) label.append(el("span", "optional", " (optional)"));
  let control;
  if (element.type === "plain_text_input") {
    control = el(element.multiline ? "textarea" : "input", "bk-field-input");
    control.value = String(element.initial_value ?? "");
    control.placeholder = String(element.placeholder?.text ?? "");
  } else if (element.type === "static_select") {
    control = el("select", "bk-field-input");
    const none = el("option", "", String(element.placeholder?.text ?? "Choose…"));
    none.value = "";
    control.append(none);
    (element.options ?? []).forEach((option, i) => {
      const item = el("option", "", String(option.text?.text ?? option.value));
      item.value = String(i);
      control.append(item);
    });
    const initial = (element.options ?? []).findIndex((o) => o.value === element.initial_option?.value);
    control.value = initial >= 0 ? String(initial) : "";
  } else {
    control = el("div", "bk-unknown", `Unsupported input “${element.type}” (sent empty)`);
  }
  control.dataset.actionId = String(element.action_id ?? "");
  control.dataset.kind = String(element.type ?? "");
  wrap.append(control);
  if (block.hint) wrap.append(textNode(block.hint, names, "div", "bk-hint"));
  wrap.append(el("div", "bk-error"));
  return wrap;
}

/** state.values of the dialog's inputs, shaped as Slack's view_submission carries them. */
export function readValues(dialog, view) {
  const values = {};
  for (const block of view.blocks ?? []) {
    if (block.type !== "input" || !block.block_id) continue;
    const element = block.element ?? {};
    const control = dialog.querySelector(`[data-block-id="${CSS.escape(block.block_id)}"] .bk-field-input`);
    let value = { type: element.type };
    if (element.type === "plain_text_input") value.value = control ? control.value : null;
    else if (element.type === "static_select") value.selected_option = (element.options ?? [])[Number(control?.value)] ?? null;
    if (control?.value === "" && element.type === "static_select") value.selected_option = null;
    values[block.block_id] = { [element.action_id]: value };
  }
  return values;
}

/** Show `errors` ({block_id: message}) under their fields; clears the others. */
export function showErrors(dialog, errors) {
  dialog.querySelectorAll(".bk-input").forEach((field) => {
    const message = errors[field.dataset.blockId] ?? "";
    field.classList.toggle("has-error", Boolean(message));
    field.querySelector(".bk-error").textContent = message;
  });
  dialog.querySelector(".has-error")?.scrollIntoView({ block: "center" });
}

/** The modal as a <dialog> element (not yet shown). */
export function renderModal(view, ctx) {
  const names = ctx.names ?? {};
  const dialog = el("dialog", "modal");
  dialog.dataset.viewId = String(view.id ?? "");
  const form = dialog.appendChild(el("form", "modal-form"));
  form.method = "dialog";
  form.append(textNode(view.title, names, "h2", "modal-title"));
  const body = form.appendChild(el("div", "modal-body"));
  for (const block of view.blocks ?? []) {
    body.append(block.type === "input" ? inputField(block, names) : renderBlock(block, { names }));
  }
  const buttons = form.appendChild(el("div", "modal-buttons"));
  const close = buttons.appendChild(el("button", "bk-button modal-close"));
  close.type = "button";
  close.append(textNode(view.close ?? { type: "plain_text", text: "Cancel" }, names));
  close.addEventListener("click", () => ctx.onClose?.());
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    ctx.onClose?.();
  });
  if (view.submit) {
    const submit = buttons.appendChild(el("button", "bk-button primary modal-submit"));
    submit.type = "submit";
    submit.append(textNode(view.submit, names));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ctx.onSubmit?.(readValues(dialog, view));
  });
  return dialog;
}
