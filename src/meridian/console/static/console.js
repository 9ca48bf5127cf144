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

  function composer(mode) {
    var form = document.querySelector("form.composer");
    var body = document.getElementById("composer-body");
    if (!form || !body) { return false; }
    form.setAttribute("data-mode", mode);
    var label = form.querySelector('button[name="kind"][value="' + mode + '"]');
    form.querySelectorAll('button[name="kind"]').forEach(function (b) {
      b.classList.toggle("current-mode", b === label);
    });
    body.focus();
    return true;
  }

  function shortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog || typeof dialog.showModal !== "function") { return false; }
    if (dialog.open) { dialog.close(); } else { dialog.showModal(); }
    return true;
  }

  // Conversation shortcuts: r reply, n note, e resolve, a assign; "?" everywhere.
  var actions = {
    "r": function () { return composer("reply"); },
    "n": function () { return composer("note"); },
    "e": function () {
      var form = document.getElementById("resolve-form");
      var button = form && form.querySelector("button");
      if (!form || (button && button.disabled)) { return false; }
      form.requestSubmit();
      return true;
    },
    "a": function () {
      var control = document.getElementById("assignee");
      if (!control) { return false; }
      control.focus();
      return true;
    },
    "?": shortcuts
  };

  // Ctrl/Cmd+Enter in the composer sends in the chosen mode (reply unless "n" chose note).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) { return; }
    if (!event.target || event.target.id !== "composer-body") { return; }
    var form = event.target.form;
    var mode = form.getAttribute("data-mode") || "reply";
    var button = form.querySelector('button[name="kind"][value="' + mode + '"]');
    if (button) { form.requestSubmit(button); event.preventDefault(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    if (Object.prototype.hasOwnProperty.call(actions, event.key)) {
      if (actions[event.key]()) { event.preventDefault(); }
      return;
    }
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
  form.removeAttribute("data-mode");
  var preview = document.getElementById("translation-preview");
  if (preview) { preview.replaceChildren(); }
});

// Composer files: refuse too many or too large files before uploading them (the server
// checks again), and show the server's refusal (a 4xx thread fragment) in place, keeping
// the agent's text and files for another try.
(function () {
  "use strict";
  function problem(input) {
    var files = input.files || [];
    if (files.length > Number(input.getAttribute("data-max-files"))) { return input.getAttribute("data-too-many"); }
    var total = 0;
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > Number(input.getAttribute("data-max-bytes"))) {
        return input.getAttribute("data-too-large").replace("{name}", files[i].name);
      }
      total += files[i].size;
    }
    // Past the server's body-size limit the request would be refused before the composer
    // could explain why.
    if (total > Number(input.getAttribute("data-max-total"))) { return input.getAttribute("data-too-much"); }
    return "";
  }

  function show(input) {
    var box = document.getElementById("composer-files-error");
    var text = problem(input);
    if (box) { box.textContent = text; box.hidden = !text; }
    input.setAttribute("aria-invalid", text ? "true" : "false");
    return text;
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "composer-files") { show(event.target); }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    var input = form && form.matches && form.matches("form.composer") && form.querySelector("#composer-files");
    if (input && show(input)) { event.preventDefault(); input.focus(); }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    // Fired on the target (#thread): the element that asked is in the request config.
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;
    var xhr = event.detail.xhr;
    if (!form || !form.matches || !form.matches("form.composer")) { return; }
    if (xhr.status >= 400 && xhr.status < 500 && (xhr.getResponseHeader("content-type") || "").indexOf("text/html") === 0) {
      // Still an error for htmx, so the reset-on-success above leaves the form alone.
      event.detail.shouldSwap = true;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!event.detail.successful || !form || !form.matches || !form.matches("form.composer")) { return; }
    var box = document.getElementById("composer-files-error");
    if (box) { box.hidden = true; box.textContent = ""; }
  });
})();

// The composer's pickers: "/" plus a shortcut asks the server for canned responses (rendered
// in the customer's language), "@" plus a name for colleagues to mention. Enter or a click
// puts the choice in place of the typed token. Suggested articles' "insert link" too.
(function () {
  "use strict";
  var PICKERS = [
    { pattern: /(^|\s)\/([\w.-]*)$/, box: "canned-picker", url: function (body) { return body.getAttribute("data-canned-url"); },
      option: ".canned-option", value: "data-body" },
    { pattern: /(^|\s)@([^\s@]*)$/, box: "mention-picker",
      url: function () { var box = document.getElementById("mention-picker"); return box && box.getAttribute("data-mention-url"); },
      option: ".mention-option", value: "data-insert" }
  ];
  var pending = null;

  function active(body) {
    var before = body.value.slice(0, body.selectionStart);
    for (var i = 0; i < PICKERS.length; i++) {
      var match = PICKERS[i].pattern.exec(before);
      if (match) {
        return { picker: PICKERS[i], start: body.selectionStart - match[2].length - 1, query: match[2] };
      }
    }
    return null;
  }

  function clearAll() {
    PICKERS.forEach(function (p) {
      var box = document.getElementById(p.box);
      if (box) { box.replaceChildren(); }
    });
  }

  function insertAtToken(body, text) {
    var found = active(body);
    var start = found ? found.start : body.selectionStart;
    var end = body.selectionStart;
    body.value = body.value.slice(0, start) + text + body.value.slice(end);
    var caret = start + text.length;
    body.setSelectionRange(caret, caret);
    clearAll();
    body.focus();
  }

  document.addEventListener("input", function (event) {
    var body = event.target;
    if (!body || body.id !== "composer-body") { return; }
    var found = active(body);
    clearAll();
    if (!found) { return; }
    var base = found.picker.url(body);
    if (!base) { return; }
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(base + "?q=" + encodeURIComponent(found.query),
      { credentials: "same-origin", signal: pending.signal, headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var box = document.getElementById(found.picker.box);
        var now = active(body);
        if (!box || !now || now.picker !== found.picker) { return; }
        // Server-rendered and escaped by Jinja; parsed inertly, then moved in.
        var doc = new DOMParser().parseFromString(html, "text/html");
        box.replaceChildren.apply(box, Array.prototype.slice.call(doc.body.childNodes));
      })
      .catch(function () { /* superseded by a newer keystroke */ });
  });

  document.addEventListener("keydown", function (event) {
    var body = event.target;
    if (!body || body.id !== "composer-body" || event.key !== "Enter") { return; }
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    var found = active(body);
    if (!found) { return; }
    var first = document.querySelector("#" + found.picker.box + " " + found.picker.option);
    if (!first) { return; }
    event.preventDefault();
    insertAtToken(body, first.getAttribute(found.picker.value));
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest(".canned-option, .mention-option, .insert-link");
    if (!target) { return; }
    var body = document.getElementById("composer-body");
    if (!body) { return; }
    if (target.classList.contains("insert-link")) {
      var pos = body.selectionStart;
      var url = target.getAttribute("data-insert");
      var sep = pos > 0 && !/\s$/.test(body.value.slice(0, pos)) ? " " : "";
      body.value = body.value.slice(0, pos) + sep + url + body.value.slice(body.selectionEnd);
      body.setSelectionRange(pos + sep.length + url.length, pos + sep.length + url.length);
      body.focus();
      return;
    }
    insertAtToken(body, target.getAttribute(target.classList.contains("canned-option") ? "data-body" : "data-insert"));
  });
})();

// Collision notice: tell the server this agent has the conversation open (every 10 s) and
// when they type (at most every 3 s); say goodbye on leaving. Others see it over SSE.
(function () {
  "use strict";
  var page = document.querySelector(".conversation[data-conversation-id]");
  if (!page) { return; }
  var url = "/conversations/" + page.getAttribute("data-conversation-id") + "/presence";
  var tokenField = document.querySelector('form.composer input[name="csrf_token"]');
  var token = tokenField ? tokenField.value : "";
  var lastTyping = 0;

  function ping(state) {
    var form = new FormData();
    form.append("state", state);
    form.append("csrf_token", token);
    if (state === "left" && navigator.sendBeacon) { navigator.sendBeacon(url, form); return; }
    fetch(url, { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRF-Token": token } })
      .catch(function () { /* next ping will tell */ });
  }

  ping("viewing");
  setInterval(function () { if (!document.hidden) { ping("viewing"); } }, 10000);
  document.addEventListener("input", function (event) {
    if (!event.target || event.target.id !== "composer-body") { return; }
    var now = Date.now();
    if (now - lastTyping > 3000) { lastTyping = now; ping("typing"); }
  });
  window.addEventListener("pagehide", function () { ping("left"); });
})();

// The customer typing in a web chat: their widget sends conversation.typing events (at
// most one every 3 s while typing, "stopped" after 5 s of quiet). Show "Ana is typing…"
// while they arrive; hide it on "stopped", when their message arrives, or after 8 s
// without an event, since a closed tab or a lost connection never says "stopped".
(function () {
  "use strict";
  var line = document.getElementById("visitor-typing");
  if (!line) { return; }
  var id = line.getAttribute("data-conversation-id");
  var timer = null;

  function hide() { clearTimeout(timer); line.hidden = true; }

  function read(event) {
    try { return JSON.parse(event.detail.data); } catch (e) { return null; }
  }

  line.addEventListener("sse:conversation.typing", function (event) {
    var e = read(event);
    if (!e || e.conversation_id !== id || !e.data || e.data.actor !== "contact") { return; }
    if (!e.data.typing) { hide(); return; }
    line.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(hide, 8000);
  });
  line.addEventListener("sse:message.created", function (event) {
    var e = read(event);
    if (e && e.conversation_id === id && e.data && e.data.direction === "incoming") { hide(); }
  });
})();
