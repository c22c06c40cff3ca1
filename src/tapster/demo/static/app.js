// tapster notes: a little JavaScript on top of pages that work without it.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Ask before a destructive form is sent: <form data-confirm="Delete it?">.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  // Tell about a file that is too big before it is sent, rather than after.
  // The server has the last word (413); this only spares a long wait.
  for (const form of document.querySelectorAll("form[data-max-bytes]")) {
    const limit = Number(form.dataset.maxBytes);
    const input = form.querySelector("input[type=file]");
    const hint = form.querySelector(".hint");
    if (!limit || !input) continue;
    const original = hint ? hint.textContent : "";
    input.addEventListener("change", () => {
      const file = input.files[0];
      const tooBig = file !== undefined && file.size > limit;
      input.setCustomValidity(tooBig ? "This file is larger than the limit." : "");
      if (hint) hint.textContent = tooBig ? `${file.name} is too big. ${original}` : original;
    });
  }

  // Ctrl+Enter (or Cmd+Enter) in a text area saves its form.
  for (const area of document.querySelectorAll("textarea")) {
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) area.form.requestSubmit();
    });
  }

  // Copy buttons: <button data-copy="#element-id">.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const text = document.querySelector(button.dataset.copy).textContent;
      await navigator.clipboard.writeText(text);
      button.textContent = "copied";
    });
  }

  document.documentElement.dataset.js = "ready"; // the browser test waits for this
});
