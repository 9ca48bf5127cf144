// Article editor: an uploaded image's Markdown goes into the text at the cursor, and the
// preview refreshes. Here rather than inline: the Content-Security-Policy allows no eval.
(function () {
  "use strict";

  function insert(textarea, snippet) {
    var start = textarea.selectionStart || 0;
    var end = textarea.selectionEnd || start;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    // An image is a block of its own in Markdown: keep it off the neighbouring lines.
    var lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    var trail = after && !/^\n\n/.test(after) ? (/^\n/.test(after) ? "\n" : "\n\n") : "";
    textarea.value = before + lead + snippet + trail + after;
    var caret = (before + lead + snippet).length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // A refused upload is a 4xx HTML fragment: show it instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!event.detail.elt || event.detail.elt.id !== "kb-upload") { return; }
    if (xhr.status >= 400 && xhr.status < 500 && (xhr.getResponseHeader("content-type") || "").indexOf("text/html") === 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "kb-upload-result") { return; }
    var added = event.detail.target.querySelector("[data-markdown]");
    var textarea = document.getElementById("kb-body");
    if (!added || !textarea) { return; }
    insert(textarea, added.getAttribute("data-markdown"));
    var form = document.getElementById("kb-upload");
    if (form) { form.reset(); }
  });
})();
