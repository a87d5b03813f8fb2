/* ECS Console's own behaviour on every page, beside htmx (loaded before this file, deferred).
 *
 * Polled and swapped regions use idiomorph's morph swap (hx-ext="morph" on <body>): a morph
 * keeps the nodes that stay, so the element a person is on keeps its focus and a live region
 * keeps announcing its changing text. */
"use strict";

/* ---- Dialogs in the page -----------------------------------------------------------------
 * A link marked data-opens-dialog="ID" opens the <dialog id="ID"> already in the page as a
 * modal (the browser keeps focus inside it and gives it back to the link on close). Without
 * JavaScript the link leads to the same content as a page of its own. */
document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-opens-dialog]");
  const dialog = opener && document.getElementById(opener.dataset.opensDialog);
  if (!dialog || typeof dialog.showModal !== "function") return;
  event.preventDefault();
  dialog.showModal();
});

/* ---- Key pair dialog (templates/resources/key_pair_dialog.html) --------------------------
 * Create key pair answers htmx with the dialog's new content. When it created a key pair in a
 * <dialog data-for="SELECT-ID">, the key pair joins the drop-down with that id and is chosen
 * there: an <option> is added to the select already on the page, never a new select, so its
 * focus, its htmx wiring and everything typed around it stay as they were. Focus then moves to
 * the download link, the one thing left to do; after a refusal, to the first field in error. */
(function () {
  document.addEventListener("htmx:afterSettle", (event) => {
    const swapped = event.target;
    const content = swapped instanceof Element && swapped.closest("[data-key-pair-content]");
    if (!content) return;
    const created = content.querySelector("[data-key-pair-name]");
    if (!created) {
      content.querySelector("[aria-invalid=true]")?.focus();
      return;
    }
    const dialog = content.closest("dialog[data-for]");
    const select = dialog && document.getElementById(dialog.dataset.for);
    if (select) chooseOption(select, created.dataset.keyPairName);
    content.querySelector("[data-key-pair-download]")?.focus();
  });

  function chooseOption(select, value) {
    let option = Array.from(select.options).find((candidate) => candidate.value === value);
    if (!option) {
      option = new Option(value, value);
      select.add(option);
    }
    option.selected = true;
    // Anything listening to the drop-down learns of the new choice as if the person made it.
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }
})();
