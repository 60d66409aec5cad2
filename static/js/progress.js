/* Live progress of a summary (#summary-progress) or of the queue (#queue-progress).
 *
 * The server sends a snapshot on every (re)connect, then events. Model text is
 * only ever put in the page with textContent, never as HTML. The socket
 * reconnects with exponential backoff; close codes 4401/4403/4404 are final.
 */
(function () {
  "use strict";

  var FINAL_CODES = { 4401: "You are logged out: reload the page to log in.", 4403: "You may not follow this.", 4404: "This summary no longer exists." };
  var FINAL_STATUSES = { done: true, failed: true, cancelled: true };

  function field(root, name) { return root.querySelector('[data-field="' + name + '"]'); }
  function setText(el, text) { if (el) { el.textContent = text == null ? "" : String(text); } }

  function wsUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  /* A websocket that comes back after a drop: 1 s, 2 s, 4 s ... up to 30 s, with jitter. */
  function connect(path, handlers) {
    var delay = 1000, socket = null, stopped = false, timer = null;
    function open() {
      socket = new WebSocket(wsUrl(path));
      socket.onopen = function () { delay = 1000; handlers.status("live", false); };
      socket.onmessage = function (e) {
        var msg;
        try { msg = JSON.parse(e.data); } catch (err) { return; }
        handlers.message(msg);
      };
      socket.onclose = function (e) {
        if (FINAL_CODES[e.code]) { stopped = true; handlers.status(FINAL_CODES[e.code], true); return; }
        if (stopped) { return; }
        var wait = Math.min(delay, 30000) * (0.75 + Math.random() / 2);
        handlers.status("Disconnected; reconnecting in " + Math.round(wait / 1000) + " s…", true);
        timer = setTimeout(open, wait);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
    return {
      send: function (obj) {
        if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(obj)); return true; }
        return false;
      },
      stop: function () { stopped = true; clearTimeout(timer); if (socket) { socket.close(); } }
    };
  }

  /* A long transcript is summarized in several model calls: one per section, then the whole. */
  function partLabel(item) { return "part " + item.part + " of " + item.parts; }

  function formatSeconds(s) {
    if (s == null) { return ""; }
    if (s < 60) { return Math.round(s) + " s"; }
    return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
  }

  function summaryPage(root) {
    var state = {};
    var initial = document.getElementById("progress-snapshot");

    function render(ev) {
      // A final state sticks: a late live event never turns "done" back into "generating".
      if (FINAL_STATUSES[state.status] && !FINAL_STATUSES[ev.status]) { return; }
      if (ev.kind === "position" && state.status && state.status !== "queued") { return; }
      for (var k in ev) { if (Object.prototype.hasOwnProperty.call(ev, k)) { state[k] = ev[k]; } }
      var stageEl = field(root, "stage");
      setText(stageEl, state.stage_label || state.stage || state.status);
      if (stageEl) { stageEl.className = "stage state state-" + (state.status || ""); }
      setText(field(root, "position"), state.status === "queued" && state.position ? "· position " + state.position + " in the queue" : "");
      setText(field(root, "attempt"), state.attempt > 1 ? "· attempt " + state.attempt : "");
      var bar = field(root, "bar");
      if (bar) {
        if (state.status === "done") { bar.value = 100; }
        else if (state.percent != null && state.status === "running") { bar.value = state.percent; }
        else if (state.status === "queued") { bar.removeAttribute("value"); }
        // A bar without a value animates as if work went on: a failed or cancelled job keeps still.
        else if (FINAL_STATUSES[state.status] && !bar.hasAttribute("value")) { bar.value = state.percent != null ? state.percent : 0; }
      }
      var figures = [];
      if (state.status === "running" && state.parts > 1 && state.part != null) {
        figures.push(partLabel(state));
      }
      if (state.status === "running" && state.tokens != null) {
        figures.push(state.tokens + " tokens of at most " + state.budget);
        if (state.tokens_per_second) { figures.push(state.tokens_per_second + " tokens/s"); }
        if (state.eta_seconds != null) { figures.push("at most " + formatSeconds(state.eta_seconds) + " left"); }
      }
      if (state.cancel_requested && state.status === "running") { figures.push("cancelling…"); }
      setText(field(root, "figures"), figures.join(" · "));
      setText(field(root, "error"), state.error_message || "");
      if (ev.text != null) { setText(field(root, "text"), ev.text); }
      var doneLink = field(root, "done-link");
      if (doneLink) { doneLink.hidden = state.status !== "done"; }
      var form = field(root, "cancel-form");
      if (form) { form.hidden = !!FINAL_STATUSES[state.status]; }
      if (FINAL_STATUSES[state.status]) { settle(); }
    }

    var conn = field(root, "conn");
    var socket = null;

    /* A final state never changes again: nothing is live any more, so the socket closes
       and the "Live" line goes, instead of promising updates that cannot come. */
    function settle() {
      if (socket) { socket.stop(); socket = null; }
      if (conn) { conn.hidden = true; }
    }

    if (initial) { try { render(JSON.parse(initial.textContent)); } catch (err) { /* keep the server-rendered page */ } }

    if (!FINAL_STATUSES[state.status]) {
      socket = connect(root.dataset.wsPath, {
        status: function (text, bad) { setText(conn, text === "live" ? "Live" : text); if (conn) { conn.classList.toggle("down", !!bad); } },
        message: function (msg) {
          if (msg.type === "snapshot") { state = {}; render(msg); }
          else if (msg.type === "progress") { render(msg); }
          else if (msg.type === "cancel_accepted") { setText(field(root, "figures"), "cancel requested…"); }
          else if (msg.type === "error") { setText(field(root, "error"), msg.message); }
        }
      });
    }

    var form = field(root, "cancel-form");
    if (form) {
      form.addEventListener("submit", function (e) {
        // Ask here, so the server need not ask again: without this script the "ask" field
        // brings its confirmation page instead.
        if (!window.confirm(form.dataset.confirm || "Cancel this summary?")) { e.preventDefault(); return; }
        var ask = field(form, "cancel-ask");
        if (ask) { ask.disabled = true; }
        // Over the socket when it is up; otherwise the form posts as usual.
        if (socket && socket.send({ action: "cancel" })) { e.preventDefault(); }
      });
    }
  }

  function queuePage(root) {
    var rows = field(root, "rows"), empty = field(root, "empty"), conn = field(root, "conn");
    var urlTemplate = root.dataset.progressUrlTemplate;

    function stageText(item) {
      var text = item.stage_label || item.stage || "";
      return item.stage === "generating" && item.parts > 1 && item.part != null ? text + " (" + partLabel(item) + ")" : text;
    }

    function cell(tr, text) { var td = document.createElement("td"); td.textContent = text == null ? "" : String(text); tr.appendChild(td); return td; }

    function row(item) {
      var tr = document.createElement("tr");
      tr.dataset.summaryId = item.summary_id;
      var first = document.createElement("td"), a = document.createElement("a");
      a.href = urlTemplate.replace("/0/", "/" + encodeURIComponent(item.summary_id) + "/");
      a.textContent = item.summary_id;
      first.appendChild(a); tr.appendChild(first);
      cell(tr, item.position == null ? "running" : item.position);
      cell(tr, item.video);
      cell(tr, item.template);
      cell(tr, stageText(item));
      cell(tr, item.percent == null ? "" : item.percent + "%");
      return tr;
    }

    function renderAll(items) {
      while (rows.firstChild) { rows.removeChild(rows.firstChild); }
      items.forEach(function (item) { rows.appendChild(row(item)); });
      if (empty) { empty.hidden = items.length > 0; }
    }

    function update(item) {
      var tr = rows.querySelector('tr[data-summary-id="' + Number(item.summary_id) + '"]');
      if (!tr) { return; }
      if (FINAL_STATUSES[item.status]) { tr.parentNode.removeChild(tr); if (empty) { empty.hidden = rows.children.length > 0; } return; }
      var cells = tr.children;
      if (item.stage_label || item.stage) { cells[4].textContent = stageText(item); }
      if (item.percent != null) { cells[5].textContent = item.percent + "%"; }
    }

    connect(root.dataset.wsPath, {
      status: function (text, bad) { setText(conn, text === "live" ? "Live" : text); if (conn) { conn.classList.toggle("down", !!bad); } },
      message: function (msg) {
        if (msg.type === "snapshot" || (msg.type === "queue" && msg.kind === "snapshot")) { renderAll(msg.items || []); }
        else if (msg.type === "queue" && msg.kind === "summary" && msg.summary) { update(msg.summary); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var s = document.getElementById("summary-progress");
    if (s) { summaryPage(s); }
    var q = document.getElementById("queue-progress");
    if (q) { queuePage(q); }
  });
})();
