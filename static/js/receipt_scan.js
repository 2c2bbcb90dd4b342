// 回执录入 with a handheld scanner (it types the code and Enter): progressive enhancement of the plain form
// <form data-receipt-scan="URL">. Each Enter sends the code to URL (fetch, JSON) at once, clears the input
// and keeps the focus there, so a whole stack of receipts goes in without the mouse; codes typed while an
// answer is on its way wait in a queue and are checked in order. Each answer is listed above the input
// (newest on top) with a green or red mark and the card flashes — no sound. Without JS the form posts.
(function () {
  "use strict";

  var form = document.querySelector("form[data-receipt-scan]");
  if (!form || !window.fetch) return;
  var url = form.getAttribute("data-receipt-scan");
  var input = form.querySelector("input[name=receipt_code]");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  var log = document.getElementById("scan-log");
  var card = document.getElementById("scan-card");
  var summary = document.getElementById("scan-summary");
  var counts = { ok: 0, bad: 0 };
  var queue = [];
  var busy = false;

  function cell(className, text) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    return span;
  }

  function render(li, result) {
    var ok = !!result.ok;
    li.className = "scan-row " + (result.pending ? "scan-pending" : ok ? "scan-ok" : "scan-bad");
    li.setAttribute("data-result", result.pending ? "pending" : ok ? "ok" : "bad");
    li.textContent = "";
    li.appendChild(cell("scan-mark", result.pending ? "…" : ok ? "✓" : "✗")).setAttribute("aria-hidden", "true");
    li.appendChild(cell("visually-hidden", result.pending ? "核对中" : ok ? "成功" : "有误"));
    li.appendChild(cell("scan-code font-monospace", result.code || "（空）"));
    li.appendChild(cell("scan-student", result.student || "—"));
    li.appendChild(cell("scan-message", result.message || ""));
  }

  function flash(ok) {
    if (!card) return;
    card.classList.remove("flash-ok", "flash-bad");
    void card.offsetWidth; // restart the animation for two answers in a row
    card.classList.add(ok ? "flash-ok" : "flash-bad");
  }

  function count(ok) {
    counts[ok ? "ok" : "bad"] += 1;
    var pending = document.getElementById("receipts-pending");
    if (ok && pending && Number(pending.textContent) > 0) {
      pending.textContent = String(Number(pending.textContent) - 1);
    }
    if (!summary) return;
    summary.hidden = false;
    summary.querySelector("[data-count-ok]").textContent = counts.ok;
    summary.querySelector("[data-count-bad]").textContent = counts.bad;
  }

  function finish(item, result) {
    render(item.li, result);
    flash(!!result.ok);
    count(!!result.ok);
    busy = false;
    pump();
  }

  function pump() {
    if (busy || !queue.length) return;
    busy = true;
    var item = queue.shift();
    var body = new URLSearchParams();
    body.append("receipt_code", item.code);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      body: body,
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          return { ok: false, code: item.code, message: "登录已失效或页面已过期，请刷新页面后重新扫描" };
        }
        return response.json();
      })
      .then(function (result) {
        finish(item, result);
      })
      .catch(function () {
        finish(item, { ok: false, code: item.code, message: "网络连接失败，请重新扫描此回执" });
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value.trim();
    input.value = "";
    input.focus();
    if (!code) return;
    var empty = log.querySelector("[data-scan-empty]");
    if (empty) empty.remove();
    var li = document.createElement("li");
    render(li, { pending: true, code: code, message: "核对中…" });
    log.insertBefore(li, log.firstChild);
    log.scrollTop = 0;
    queue.push({ code: code, li: li });
    pump();
  });

  // The input keeps the focus: a key pressed while nothing else is focused goes to it (a scanner's
  // keystrokes after a stray click still land in the input); other form fields keep theirs.
  document.addEventListener("keydown", function (event) {
    var active = document.activeElement;
    if (!active || active === document.body || active === log || active === card) {
      if (event.key.length === 1 || event.key === "Enter") input.focus();
    }
  });
  input.focus();
})();
