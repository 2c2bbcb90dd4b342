// Page behaviour of the portal, loaded on every page. The Content-Security-Policy forbids inline scripts
// and inline event handlers, so templates only declare intent with data- attributes and this file acts:
//   <form data-confirm="确定…？">             asks before submitting (text is data, never code)
//   <form data-confirm-reason="…">            asks for a reason (prompt) and puts it into input[name=reason]
//   <select|input data-autosubmit>            submits its form on change
//   <button data-print>                       prints the page
//   <input type=checkbox data-check-all=NAME> checks/unchecks every checkbox named NAME
//   #application-form                         live total of the amounts; fee-standard prefill (empty only)
// Listeners are delegated from document, so content swapped in by htmx behaves the same.
(function () {
  "use strict";

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var reasonPrompt = form.getAttribute("data-confirm-reason");
      if (reasonPrompt !== null) {
        var field = form.querySelector("[name=reason]");
        if (field && field.value.trim()) return; // typed in the form itself
        var reason = window.prompt(reasonPrompt, "");
        if (reason === null || !reason.trim()) {
          event.preventDefault();
          event.stopImmediatePropagation();
          return;
        }
        if (field) field.value = reason.trim();
        return;
      }
      var question = form.getAttribute("data-confirm");
      if (question !== null && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.hasAttribute && el.hasAttribute("data-check-all")) {
      var name = el.getAttribute("data-check-all");
      document.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        if (box.name === name && !box.disabled) box.checked = el.checked;
      });
      return;
    }
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit();
      else el.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest ? event.target.closest("[data-print]") : null;
    if (el) {
      event.preventDefault();
      window.print();
    }
  });

  // --- 受理首贷申请: total of the two amounts, and the fee standard filled into empty amounts only ------
  function amountInputs() {
    return [document.getElementById("id_tuition_amount"), document.getElementById("id_accommodation_amount")];
  }

  function updateTotal() {
    var total = document.getElementById("total-amount");
    if (!total) return;
    var sum = 0;
    amountInputs().forEach(function (input) {
      if (input) sum += parseInt(input.value || "0", 10) || 0;
    });
    total.textContent = sum + " 元";
  }

  // An amount counts as "typed by the clerk" once edited by hand; the fee standard then never overwrites
  // it. Empty amounts, and amounts the portal itself filled from an earlier standard, are (re)filled.
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el && (el.id === "id_tuition_amount" || el.id === "id_accommodation_amount")) {
      el.setAttribute("data-typed", "1");
      updateTotal();
    }
  });

  function applyFeeStandard(root) {
    var node = (root || document).querySelector ? (root || document).querySelector("[data-fee-standard]") : null;
    if (!node) return;
    var values = {
      id_tuition_amount: node.getAttribute("data-tuition"),
      id_accommodation_amount: node.getAttribute("data-accommodation"),
    };
    var kept = [];
    amountInputs().forEach(function (input) {
      if (!input) return;
      var value = values[input.id];
      if (value === null || value === undefined) return;
      var empty = !input.value || input.value === "0";
      if (empty || input.getAttribute("data-typed") !== "1") {
        input.value = value;
        input.removeAttribute("data-typed");
      } else if (input.value !== value) {
        kept.push(input.id === "id_tuition_amount" ? "学费" : "住宿费");
      }
    });
    var note = node.querySelector("[data-fee-kept]");
    if (note) {
      if (kept.length) {
        note.textContent = "已保留您填写的" + kept.join("、") + "，未按收费标准覆盖。";
        note.hidden = false;
      } else {
        note.hidden = true;
      }
    }
    updateTotal();
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "fee-standard") applyFeeStandard(event.target);
  });

  function ready() {
    // Amounts redisplayed after a form error count as typed: a standard fetched later must not replace them.
    amountInputs().forEach(function (input) {
      if (input && input.value) input.setAttribute("data-typed", "1");
    });
    updateTotal();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
