// Keyboard use of the inbox list: j/k move the selection, Enter opens (native on links).
(function () {
  "use strict";
  var selectedId = null;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll(".conversations a[data-conversation-id]"));
  }

  function select(link) {
    items().forEach(function (a) { a.classList.remove("selected"); });
    if (!link) { return; }
    link.classList.add("selected");
    link.focus();
    selectedId = link.getAttribute("data-conversation-id");
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    if (event.key !== "j" && event.key !== "k") { return; }
    var list = items();
    if (!list.length) { return; }
    var current = list.findIndex(function (a) { return a.getAttribute("data-conversation-id") === selectedId; });
    var next = event.key === "j" ? Math.min(current + 1, list.length - 1) : Math.max(current - 1, 0);
    select(list[next]);
    event.preventDefault();
  });

  // A live refresh replaces the list; keep the agent's place in it without stealing focus.
  document.addEventListener("htmx:afterSwap", function () {
    if (!selectedId) { return; }
    var link = document.querySelector('.conversations a[data-conversation-id="' + selectedId + '"]');
    if (link) { link.classList.add("selected"); }
  });
})();

// After a successful send, clear the composer (and its translation preview). Here rather
// than in an hx-on attribute: the Content-Security-Policy allows no eval.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.detail.elt;
  if (!event.detail.successful || !form || !form.matches || !form.matches("form[data-reset-on-success]")) { return; }
  form.reset();
  var preview = document.getElementById("translation-preview");
  if (preview) { preview.replaceChildren(); }
});
