/*! Meridian web chat widget. Embed with:
 * <script src="https://HOST/widget/meridian-chat.js" data-inbox="INBOX_ID" data-base-url="https://HOST" async></script>
 * Plain JS, no framework, no cookies: the visitor id lives in localStorage and the
 * short-lived visitor token only in memory.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-inbox][src*='meridian-chat']");
  if (!script || window.__meridianChat) return;
  var inbox = script.getAttribute("data-inbox");
  if (!inbox) return;
  window.__meridianChat = true;
  var base = (script.getAttribute("data-base-url") || new URL(script.src).origin).replace(/\/+$/, "");
  var api = base + "/widget/api";
  var KEY = "meridian-chat:" + inbox + ":";

  // UI strings by primary language subtag; anything else falls back to English.
  var I18N = {
    en: ["Chat with us", "Close chat", "Chat", "Write a message…", "Send", "You are offline. Reconnecting…",
      "Name", "Email", "I agree that my data is used to answer my request", "Start chat",
      "We usually reply in a few minutes", "We usually reply in a few hours", "We usually reply within a day",
      "Not sent. Select to retry.", "You", "Agent", "Message",
      "Attach a file", "We’re offline – we’ll answer by {t}.", "We’re offline right now.", "Agent is typing…",
      "This file is too large (up to 5 MB).", "This kind of file cannot be sent."],
    es: ["Chatea con nosotros", "Cerrar chat", "Chat", "Escribe un mensaje…", "Enviar", "Sin conexión. Reconectando…",
      "Nombre", "Correo electrónico", "Acepto que mis datos se usen para responder a mi consulta", "Iniciar chat",
      "Solemos responder en unos minutos", "Solemos responder en unas horas", "Solemos responder en un día",
      "No enviado. Selecciona para reintentar.", "Tú", "Agente", "Mensaje",
      "Adjuntar un archivo", "Estamos fuera de línea. Te responderemos a más tardar: {t}.", "Estamos fuera de línea en este momento.",
      "El agente está escribiendo…", "El archivo es demasiado grande (máx. 5 MB).", "Este tipo de archivo no se puede enviar."],
    pt: ["Fale conosco", "Fechar chat", "Chat", "Escreva uma mensagem…", "Enviar", "Sem conexão. Reconectando…",
      "Nome", "E-mail", "Concordo que meus dados sejam usados para responder ao meu pedido", "Iniciar chat",
      "Costumamos responder em poucos minutos", "Costumamos responder em poucas horas", "Costumamos responder em até um dia",
      "Não enviada. Selecione para tentar de novo.", "Você", "Atendente", "Mensagem",
      "Anexar arquivo", "Estamos offline. Responderemos até: {t}.", "Estamos offline no momento.", "O atendente está digitando…",
      "O arquivo é grande demais (máx. 5 MB).", "Este tipo de arquivo não pode ser enviado."],
    fr: ["Discutez avec nous", "Fermer le chat", "Chat", "Écrivez un message…", "Envoyer", "Hors ligne. Reconnexion…",
      "Nom", "E-mail", "J’accepte que mes données soient utilisées pour répondre à ma demande", "Démarrer",
      "Nous répondons généralement en quelques minutes", "Nous répondons généralement en quelques heures",
      "Nous répondons généralement sous un jour", "Non envoyé. Sélectionnez pour réessayer.", "Vous", "Agent", "Message",
      "Joindre un fichier", "Nous sommes hors ligne. Réponse au plus tard : {t}.", "Nous sommes hors ligne pour le moment.",
      "Un agent écrit…", "Fichier trop volumineux (5 Mo max.).", "Ce type de fichier ne peut pas être envoyé."],
    de: ["Chatten Sie mit uns", "Chat schließen", "Chat", "Nachricht schreiben…", "Senden", "Offline. Verbindung wird wiederhergestellt…",
      "Name", "E-Mail", "Ich bin einverstanden, dass meine Daten zur Beantwortung meiner Anfrage verwendet werden", "Chat starten",
      "Wir antworten meist innerhalb weniger Minuten", "Wir antworten meist innerhalb weniger Stunden",
      "Wir antworten meist innerhalb eines Tages", "Nicht gesendet. Zum Wiederholen auswählen.", "Sie", "Mitarbeiter", "Nachricht",
      "Datei anhängen", "Wir sind gerade offline – wir antworten bis {t}.", "Wir sind gerade offline.", "Ein Mitarbeiter schreibt…",
      "Die Datei ist zu groß (max. 5 MB).", "Diese Art von Datei kann nicht gesendet werden."],
    ja: ["チャットで問い合わせ", "チャットを閉じる", "チャット", "メッセージを入力…", "送信", "オフラインです。再接続しています…",
      "お名前", "メールアドレス", "お問い合わせへの回答のために個人データが使用されることに同意します", "チャットを開始",
      "通常数分以内に返信します", "通常数時間以内に返信します", "通常1日以内に返信します",
      "送信できませんでした。選択して再試行してください。", "あなた", "担当者", "メッセージ",
      "ファイルを添付", "現在オフラインです。{t}までに返信します。", "現在オフラインです。", "担当者が入力中…",
      "ファイルが大きすぎます（最大5MB）。", "この種類のファイルは送信できません。"],
    zh: ["与我们聊天", "关闭聊天", "聊天", "输入消息…", "发送", "已离线，正在重新连接…",
      "姓名", "电子邮件", "我同意使用我的数据来回复我的请求", "开始聊天",
      "我们通常在几分钟内回复", "我们通常在几小时内回复", "我们通常在一天内回复",
      "未发送。点击重试。", "您", "客服", "消息",
      "添加附件", "我们目前不在线，将在{t}前回复。", "我们目前不在线。", "客服正在输入…",
      "文件过大（最大 5 MB）。", "无法发送此类文件。"],
    ar: ["تحدث معنا", "إغلاق المحادثة", "محادثة", "اكتب رسالة…", "إرسال", "أنت غير متصل. جارٍ إعادة الاتصال…",
      "الاسم", "البريد الإلكتروني", "أوافق على استخدام بياناتي للرد على طلبي", "بدء المحادثة",
      "نرد عادةً خلال دقائق", "نرد عادةً خلال ساعات", "نرد عادةً خلال يوم",
      "لم تُرسل. اختر لإعادة المحاولة.", "أنت", "الموظف", "رسالة",
      "إرفاق ملف", "نحن غير متصلين الآن – سنرد قبل {t}.", "نحن غير متصلين الآن.", "الموظف يكتب…",
      "الملف كبير جدًا (الحد الأقصى 5 ميغابايت).", "لا يمكن إرسال هذا النوع من الملفات."],
    ko: ["채팅 상담", "채팅 닫기", "채팅", "메시지를 입력하세요…", "보내기", "오프라인입니다. 다시 연결하는 중…",
      "이름", "이메일", "문의에 답변하기 위해 내 데이터가 사용되는 데 동의합니다", "채팅 시작",
      "보통 몇 분 안에 답변합니다", "보통 몇 시간 안에 답변합니다", "보통 하루 안에 답변합니다",
      "전송되지 않았습니다. 선택하여 다시 시도하세요.", "나", "상담원", "메시지",
      "파일 첨부", "현재 오프라인입니다. {t}까지 답변드리겠습니다.", "현재 오프라인입니다.", "상담원이 입력 중…",
      "파일이 너무 큽니다(최대 5MB).", "이 유형의 파일은 보낼 수 없습니다."]
  };
  // What the server accepts (it checks the bytes again); 5 MB like its limit.
  var ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,.txt,.csv,.docx,.xlsx";
  var MAX_FILE = 5 * 1024 * 1024;
  var NAMES = ["open", "close", "title", "placeholder", "send", "offline", "name", "email", "consent", "start",
    "reply_minutes", "reply_hours", "reply_day", "failed", "you", "agent", "message",
    "attach", "away_until", "away", "typing", "too_big", "bad_type"];
  var locale = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  var lang = locale.toLowerCase().split(/[-_]/)[0];
  if (!I18N[lang]) lang = "en";
  var T = {};
  NAMES.forEach(function (name, i) { T[name] = I18N[lang][i]; });
  var rtl = lang === "ar";

  function store(name, value) {
    try {
      if (value === undefined) return localStorage.getItem(KEY + name);
      if (value === null) localStorage.removeItem(KEY + name); else localStorage.setItem(KEY + name, value);
    } catch (e) { /* storage disabled: the chat still works for this page view */ }
    return null;
  }

  var CSS = ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',sans-serif}" +
    ".launch{position:fixed;bottom:20px;inset-inline-end:20px;width:56px;height:56px;border-radius:50%;border:0;" +
    "background:var(--mc,#2563eb);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646}" +
    ".launch svg{width:28px;height:28px;fill:currentColor}" +
    ".panel{position:fixed;bottom:88px;inset-inline-end:20px;width:min(370px,calc(100vw - 40px));height:min(540px,calc(100vh - 120px));" +
    "display:flex;flex-direction:column;background:#fff;color:#111;border-radius:12px;overflow:hidden;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.25);z-index:2147483647;font-size:14px}" +
    ".panel[hidden],[hidden]{display:none!important}" +
    "header{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;background:var(--mc,#2563eb);color:#fff}" +
    "header h2{margin:0;font-size:16px}header button{background:none;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1}" +
    ".note{padding:6px 14px;font-size:12px;background:#f3f4f6;color:#374151}.note.off{background:#fef3c7;color:#92400e}" +
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:6px}" +
    ".m{max-width:80%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}" +
    ".m.in{align-self:flex-end;background:var(--mc,#2563eb);color:#fff}.m.out{align-self:flex-start;background:#f1f5f9}" +
    ".m.pending{opacity:.6}.m.failed{background:#fee2e2;color:#991b1b;cursor:pointer}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #e5e7eb}" +
    "form.pre{flex-direction:column;border:0}form.pre input[type=text],form.pre input[type=email]{padding:8px;border:1px solid #d1d5db;border-radius:6px}" +
    "textarea{flex:1;resize:none;height:40px;padding:9px;border:1px solid #d1d5db;border-radius:8px;font-size:14px}" +
    "form button{background:var(--mc,#2563eb);color:#fff;border:0;border-radius:8px;padding:0 14px;cursor:pointer;min-height:36px}" +
    ".files{display:flex;flex-direction:column;gap:4px;margin-top:4px}.files img{max-width:100%;max-height:200px;border-radius:8px;display:block;align-self:flex-start}" +
    ".files a{color:inherit;text-decoration:underline;word-break:break-all}.typing{padding:0 14px 6px;font-size:12px;color:#6b7280;font-style:italic}" +
    ".clip{background:none!important;color:#4b5563!important;padding:0 6px!important}.clip svg{width:20px;height:20px;fill:currentColor}" +
    ":focus-visible{outline:2px solid #f59e0b;outline-offset:2px}";

  function el(tag, attrs, parent) {
    var node = document.createElement(tag);
    for (var k in attrs) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  var host = el("div", { id: "meridian-chat" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  el("style", { text: CSS }, root);
  var launcher = el("button", { type: "button", "class": "launch", "aria-label": T.open, "aria-expanded": "false",
    "aria-controls": "mc-panel" }, root);
  launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16v12H7l-3 3z"/></svg>';
  var panel = el("div", { id: "mc-panel", "class": "panel", role: "dialog", "aria-label": T.title, hidden: "",
    dir: rtl ? "rtl" : "ltr", lang: lang }, root);
  var header = el("header", {}, panel);
  el("h2", { text: T.title }, header);
  var closer = el("button", { type: "button", "aria-label": T.close, text: "×" }, header);
  var notice = el("div", { "class": "note", role: "status", "aria-live": "polite", hidden: "" }, panel);
  var offline = el("div", { "class": "note off", role: "alert", hidden: "", text: T.offline }, panel);
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-label": T.title }, panel);
  var pre = el("form", { "class": "pre", hidden: "" }, panel);
  var preName = el("input", { type: "text", name: "name", autocomplete: "name", "aria-label": T.name, placeholder: T.name }, pre);
  var preEmail = el("input", { type: "email", name: "email", autocomplete: "email", "aria-label": T.email, placeholder: T.email }, pre);
  var consentLabel = el("label", {}, pre);
  var preConsent = el("input", { type: "checkbox", name: "consent", required: "" }, consentLabel);
  consentLabel.appendChild(document.createTextNode(" " + T.consent));
  el("button", { type: "submit", text: T.start }, pre);
  var typingLine = el("div", { "class": "typing", role: "status", hidden: "", text: T.typing }, panel);
  var problem = el("div", { "class": "note off", role: "alert", hidden: "" }, panel);
  var compose = el("form", {}, panel);
  var picker = el("input", { type: "file", hidden: "", accept: ACCEPT, tabindex: "-1" }, compose);
  var clip = el("button", { type: "button", "class": "clip", "aria-label": T.attach, title: T.attach }, compose);
  clip.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 ' +
    '0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>';
  var field = el("textarea", { name: "body", rows: "1", "aria-label": T.message, placeholder: T.placeholder,
    maxlength: "10000" }, compose);
  el("button", { type: "submit", text: T.send }, compose);

  var token = null, tokenExpires = 0, settings = null, avail = null, stream = null, started = false;
  var availTimer = null, typingHide = null;
  var rendered = {}; // message id or client id -> element, so nothing shows twice
  var lastTyping = 0, typingTimer = null;

  function request(method, path, body, auth, raw) {
    var form = body instanceof FormData;
    var headers = form || !body ? {} : { "Content-Type": "application/json" };
    if (auth) headers.Authorization = "Bearer " + token;
    return fetch(api + path, { method: method, headers: headers, body: body && !form ? JSON.stringify(body) : body || undefined,
      credentials: "omit" }).then(function (res) {
      if (raw && res.ok) return res.blob();
      if (res.status === 204) return null;
      return res.json().then(function (data) {
        if (!res.ok) { var err = new Error(data.detail || res.statusText); err.status = res.status; throw err; }
        return data;
      });
    });
  }

  function session(extra) {
    var body = { visitor_id: store("visitor"), locale: locale };
    for (var k in extra || {}) body[k] = extra[k];
    return request("POST", "/" + inbox + "/sessions", body).catch(function (err) {
      // A visitor id this inbox no longer recognises: start over as a new visitor.
      if (err.status === 403 && body.visitor_id) { store("visitor", null); body.visitor_id = null;
        return request("POST", "/" + inbox + "/sessions", body); }
      throw err;
    }).then(function (data) {
      token = data.token;
      tokenExpires = Date.parse(data.expires_at) - 60000;
      settings = data.settings;
      avail = data.availability;
      store("visitor", data.visitor_id);
      if (data.has_conversation) store("prechat", "done");
      return data;
    });
  }

  function fresh() { return token && Date.now() < tokenExpires ? Promise.resolve() : session(); }

  function authed(method, path, body, raw) {
    return fresh().then(function () { return request(method, path, body, true, raw); }).catch(function (err) {
      if (err.status !== 401) throw err;
      token = null;
      return session().then(function () { return request(method, path, body, true, raw); });
    });
  }

  // Files are fetched with the visitor token in a header (never in a URL) and shown
  // from a blob: an image previews, anything else downloads under its own name.
  function fileUrl(a) {
    if (!a.blob) a.blob = authed("GET", a.url.replace(/^\/widget\/api/, ""), null, true).then(URL.createObjectURL);
    return a.blob;
  }

  function showFiles(node, files, local) {
    var ids = local ? "local" : files.map(function (a) { return a.id; }).join();
    if (node.fileIds === ids || (!files.length && node.fileIds === "local")) return;
    node.fileIds = ids;
    var box = node.querySelector(".files");
    if (box) box.remove();
    if (!files.length) return;
    box = el("div", { "class": "files" }, node);
    files.forEach(function (a) {
      if (a.inline) {
        var img = el("img", { alt: a.filename }, box);
        img.onload = function () { log.scrollTop = log.scrollHeight; };
        (local ? Promise.resolve(URL.createObjectURL(local)) : fileUrl(a)).then(function (u) { img.src = u; });
        return;
      }
      var link = el("a", { href: "#", download: a.filename, text: a.filename }, box);
      link.addEventListener("click", function (e) {
        if (link.getAttribute("href") !== "#") return;
        e.preventDefault();
        (local ? Promise.resolve(URL.createObjectURL(local)) : fileUrl(a)).then(function (u) { link.href = u; link.click(); });
      });
    });
  }

  function show(m) {
    var key = m.id || m.client_message_id;
    var node = rendered[m.id] || (m.client_message_id && rendered[m.client_message_id]);
    if (!node) {
      node = el("div", { "class": "m " + (m.direction === "incoming" ? "in" : "out") }, log);
      el("span", { "class": "sr", text: (m.direction === "incoming" ? T.you : T.agent) + ": " }, node);
      el("span", { "class": "b" }, node);
    }
    node.querySelector(".b").textContent = m.body;
    if (m.attachments || m.file) showFiles(node, m.attachments || [m.file], m.file && m.file.local);
    if (m.direction !== "incoming") hideTyping();
    if (m.id) { node.classList.remove("pending", "failed"); node.removeAttribute("role"); node.removeAttribute("tabindex");
      node.title = ""; node.onclick = node.onkeydown = null; rendered[m.id] = node; }
    if (key) rendered[key] = node;
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return (Date.now().toString(36) + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2)).slice(0, 32);
  }

  function deliver(body, clientId, node, file) {
    node.classList.add("pending");
    node.classList.remove("failed");
    var sent;
    if (file) {
      sent = new FormData();
      sent.append("client_message_id", clientId);
      sent.append("body", body);
      sent.append("file", file, file.name);
    }
    authed("POST", file ? "/attachments" : "/messages", sent || { body: body, client_message_id: clientId }).then(function (res) {
      store("prechat", "done");
      show({ id: res.message_id, client_message_id: clientId, direction: "incoming", body: body });
      if (!stream) connect();
    }).catch(function (err) {
      if (err.status === 413 || err.status === 415) {
        // Retrying cannot help: say why and drop the message.
        say(err.status === 413 ? T.too_big : T.bad_type);
        node.remove();
        return;
      }
      node.classList.remove("pending");
      node.classList.add("failed");
      node.title = T.failed;
      node.setAttribute("role", "button");
      node.setAttribute("tabindex", "0");
      // Retrying with the same client id: the server stores the message once either way.
      node.onclick = function () { deliver(body, clientId, node, file); };
      node.onkeydown = function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); deliver(body, clientId, node, file); } };
    });
  }

  function typing(state) {
    if (!token) return;
    authed("POST", "/typing", { typing: state }).catch(function () { /* best effort */ });
  }

  function connect() {
    if (stream) stream.close();
    fresh().then(function () {
      stream = new EventSource(api + "/stream?token=" + encodeURIComponent(token));
      stream.onopen = function () {
        offline.hidden = true;
        // Loaded after the stream is open, so a reply landing in between is not lost.
        authed("GET", "/messages").then(function (data) { data.items.forEach(show); }).catch(function () {});
      };
      stream.addEventListener("message", function (e) { show(JSON.parse(e.data)); });
      stream.addEventListener("typing", function (e) {
        if (!JSON.parse(e.data).typing) return hideTyping();
        typingLine.hidden = false;
        // A "stopped" can be lost (the agent closed the tab): never say it for long.
        clearTimeout(typingHide);
        typingHide = setTimeout(hideTyping, 30000);
      });
      stream.onerror = function () {
        offline.hidden = false;
        if (stream.readyState === 2) {
          // Closed for good (expired token): get a new one and reconnect.
          stream = null;
          token = null;
          setTimeout(connect, 3000);
        }
      };
    }).catch(function () { offline.hidden = false; setTimeout(connect, 5000); });
  }

  // An instant in the visitor's own time zone and language: "14:00", "Monday 09:00", "2 May 09:00".
  function when(d) {
    var now = new Date(), days = (d - now) / 864e5;
    var o = { hour: "numeric", minute: "2-digit" };
    if (d.toDateString() !== now.toDateString()) {
      if (days < 6) o.weekday = "long"; else { o.month = "long"; o.day = "numeric"; }
    }
    try { return new Intl.DateTimeFormat(locale, o).format(d); } catch (e) { return d.toLocaleString(); }
  }

  function say(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  function hideTyping() {
    clearTimeout(typingHide);
    typingLine.hidden = true;
  }

  function applySettings() {
    if (settings.theme_color) host.style.setProperty("--mc", settings.theme_color);
    var texts = [], closed = avail && !avail.open, reply = avail ? avail.reply_time : settings.reply_time;
    if (closed) texts.push(avail.opens_at ? T.away_until.replace("{t}", when(new Date(avail.opens_at))) : T.away);
    else if (reply) texts.push(T["reply_" + reply]);
    notice.textContent = texts.join(" ");
    notice.hidden = !texts.length;
    notice.classList.toggle("off", !!closed);
    // Opening or closing time: ask again then, so the notice flips on time.
    var next = avail && Date.parse(closed ? avail.opens_at : avail.closes_at);
    clearTimeout(availTimer);
    if (next && next - Date.now() < 864e5) {
      availTimer = setTimeout(function () { session().then(applySettings).catch(function () {}); }, Math.max(next - Date.now(), 0) + 1000);
    }
    if (settings.greeting && !log.querySelector(".greet")) {
      var g = el("div", { "class": "m out greet" }, log);
      g.textContent = settings.greeting;
    }
    var needsForm = settings.prechat_form && store("prechat") !== "done";
    pre.hidden = !needsForm;
    compose.hidden = needsForm;
  }

  function start() {
    if (started) return Promise.resolve();
    started = true;
    return session().then(function () { applySettings(); connect(); }).catch(function () {
      started = false;
      offline.hidden = false;
    });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    store("open", "1");
    start().then(function () { (compose.hidden ? preName : field).focus(); });
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    store("open", null);
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closer.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.stopPropagation(); close(); } });

  pre.addEventListener("submit", function (e) {
    e.preventDefault();
    var extra = { consent: preConsent.checked };
    if (preName.value.trim()) extra.name = preName.value.trim();
    if (preEmail.value.trim()) extra.email = preEmail.value.trim();
    session(extra).then(function () {
      store("prechat", "done");
      applySettings();
      field.focus();
    }).catch(function (err) { preEmail.setCustomValidity(err.message); pre.reportValidity(); });
  });
  preEmail.addEventListener("input", function () { preEmail.setCustomValidity(""); });

  compose.addEventListener("submit", function (e) {
    e.preventDefault();
    var body = field.value.trim();
    if (!body) return;
    field.value = "";
    say("");
    var clientId = newId();
    var node = show({ client_message_id: clientId, direction: "incoming", body: body });
    clearTimeout(typingTimer);
    lastTyping = 0;
    deliver(body, clientId, node);
  });
  clip.addEventListener("click", function () { picker.click(); });
  picker.addEventListener("change", function () {
    var file = picker.files && picker.files[0];
    picker.value = "";
    if (!file) return;
    if (file.size > MAX_FILE) return say(T.too_big);
    say("");
    var body = field.value.trim();
    field.value = "";
    var clientId = newId();
    var meta = { filename: file.name, inline: /^image\/(png|jpeg|gif|webp)$/.test(file.type), local: file };
    var node = show({ client_message_id: clientId, direction: "incoming", body: body, file: meta });
    deliver(body, clientId, node, file);
  });
  field.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); compose.requestSubmit(); }
  });
  field.addEventListener("input", function () {
    // At most one "typing" every 3 s, and one "stopped" after 5 s of quiet.
    if (Date.now() - lastTyping > 3000) { lastTyping = Date.now(); typing(true); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { lastTyping = 0; typing(false); }, 5000);
  });
  window.addEventListener("offline", function () { offline.hidden = false; });
  window.addEventListener("online", function () { if (started) connect(); });

  function mount() {
    document.body.appendChild(host);
    // The visitor had the chat open on the previous page: keep it open.
    if (store("open") === "1") open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
