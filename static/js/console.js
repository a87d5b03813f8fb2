/* ECS Console's own behaviour on every page, beside htmx (loaded before this file, deferred).
 *
 * Polled and swapped regions use idiomorph's morph swap (hx-ext="morph" on <body>): a morph
 * keeps the nodes that stay, so the element a person is on keeps its focus and a live region
 * keeps announcing its changing text. */
"use strict";

/* A redraw never rewrites the field a person is typing in: the server's copy of its value
 * left before the last keystrokes did. */
Idiomorph.defaults.ignoreActiveValue = true;

/* Dialogs (Scale ECS Instances, Delete Cluster, Deregister). Their buttons are links to pages
 * that work without JavaScript; with it, htmx appends the page's <dialog data-console-dialog>
 * to <body>, and it opens here as a modal over the page. Focus goes into it (the browser puts
 * it on the first field), Esc or Cancel closes it, and focus returns to the button that opened
 * it. */
(function () {
  function open(dialog, opener) {
    const openerId = opener && opener.id;
    for (const other of document.querySelectorAll("dialog[data-console-dialog][open]")) {
      other.close();
    }
    dialog.addEventListener(
      "close",
      function () {
        dialog.remove();
        // The opener may have been redrawn while the dialog was open: find it again by id.
        const back = opener && opener.isConnected ? opener : openerId && document.getElementById(openerId);
        if (back) back.focus();
      },
      { once: true }
    );
    dialog.showModal();
  }

  // Opened once settled, not at swap: htmx wires the dialog's form (hx-post) only as it settles,
  // and a person who types and presses Enter at once must send it through htmx, into the dialog.
  document.addEventListener("htmx:afterSettle", function (event) {
    const dialog = document.querySelector("dialog[data-console-dialog]:not([open])");
    if (dialog) open(dialog, event.detail.requestConfig && event.detail.requestConfig.elt);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (document.querySelector("dialog[data-console-dialog]:not([open])")) return;
    // A form sent back with errors: take the person to the first field to correct.
    const form = event.detail.target;
    if (form.closest && form.closest("dialog[open]")) {
      const invalid = form.querySelector("[aria-invalid='true']");
      if (invalid) invalid.focus();
    }
  });

  // Cancel is a link back for the page without JavaScript; over the page it only closes.
  document.addEventListener("click", function (event) {
    const cancel = event.target.closest("[data-dialog-cancel]");
    const dialog = cancel && cancel.closest("dialog[data-console-dialog]");
    if (dialog && dialog.matches(":modal")) {
      event.preventDefault();
      dialog.close();
    }
  });

  // The server's HX-Trigger after a dialog did its work (Scale): close it, the page redraws.
  document.addEventListener("closeDialog", function (event) {
    const dialog = event.target.closest && event.target.closest("dialog[data-console-dialog]");
    if (dialog) dialog.close();
  });

})();

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
