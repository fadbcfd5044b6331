// CertDesk's small amount of page behaviour. No inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function dialog() { return document.getElementById("dialog"); }

  // A notice stays until the user closes it or the next one replaces it (WCAG 2.2.1: no time limit on reading
  // it). It sat in the bottom right corner, over the last visible row's 删除: it now takes the first spot of
  // the window where it covers no control, and looks again as the page scrolls or changes under it.
  var SPOTS = ["bottom-right", "bottom-center", "bottom-left", "top-right", "top-center", "top-left"];
  var CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])";

  function notify(message, kind) {
    var box = document.getElementById("notice-box");
    if (!box) { return; }
    var text = document.getElementById("notice");
    box.classList.remove("notice-info", "notice-ok", "notice-error");
    box.classList.add("notice-" + (kind || "info"));
    // Shown empty first, the words a frame later: a live region that appears with its words already in it
    // is not read out by every screen reader.
    text.textContent = "";
    box.hidden = false;
    notify.latest = message;
    requestAnimationFrame(function () {
      text.textContent = notify.latest;
      placeNotice(true);
    });
  }

  function closeNotice() {
    var box = document.getElementById("notice-box");
    if (!box) { return; }
    box.hidden = true;
    document.getElementById("notice").textContent = "";
  }

  // How many controls of the page the notice covers where it is. Those of a dialog are above it.
  function coveredControls(box) {
    var r = box.getBoundingClientRect();
    var count = 0;
    document.querySelectorAll(CONTROLS).forEach(function (el) {
      if (box.contains(el) || el.closest("dialog")) { return; }
      var c = el.getBoundingClientRect();
      if (c.width && c.height && c.left < r.right && c.right > r.left && c.top < r.bottom && c.bottom > r.top) { count++; }
    });
    return count;
  }

  // Keep the notice where it is while that covers nothing; else the first free spot, or the one covering least.
  function placeNotice(fresh) {
    var box = document.getElementById("notice-box");
    if (!box || box.hidden) { return; }
    var current = box.getAttribute("data-spot") || SPOTS[0];
    var order = [current].concat(SPOTS.filter(function (s) { return s !== current; }));
    if (fresh) { order = SPOTS.slice(); }
    var best = null;
    for (var i = 0; i < order.length; i++) {
      setSpot(box, order[i]);
      var covered = coveredControls(box);
      if (covered === 0) { return; }
      if (best === null || covered < best.covered) { best = {spot: order[i], covered: covered}; }
    }
    setSpot(box, best.spot);
  }

  function setSpot(box, spot) {
    SPOTS.forEach(function (s) { box.classList.remove("notice-" + s); });
    if (spot !== SPOTS[0]) { box.classList.add("notice-" + spot); }
    box.setAttribute("data-spot", spot);
  }

  var placing = false;
  function placeSoon() {
    if (placing) { return; }
    placing = true;
    requestAnimationFrame(function () { placing = false; placeNotice(false); });
  }
  window.addEventListener("scroll", placeSoon, {passive: true});
  window.addEventListener("resize", placeSoon);
  document.addEventListener("htmx:afterSettle", placeSoon);

  // CertDesk's own confirmation (templates/_confirm.html), never the browser's confirm(): ask(texts, then)
  // shows the question and runs `then` only when the user chooses the action.
  var pendingAnswer = null;
  function ask(texts, then) {
    var box = document.getElementById("confirm-dialog");
    var ok = box.querySelector("[data-confirm-ok]");
    var cancel = box.querySelector("[data-confirm-cancel]");
    document.getElementById("confirm-title").textContent = texts.title;
    document.getElementById("confirm-question").textContent = texts.question;
    ok.textContent = texts.ok;
    ok.className = "btn " + (texts.danger ? "btn-danger" : "btn-primary");
    cancel.textContent = texts.cancel || cancel.getAttribute("data-label");
    pendingAnswer = then;
    box.returnValue = "";  // an Esc or a click outside closes it with the value of the time before
    box.showModal();
  }
  document.addEventListener("close", function (event) {
    if (event.target.id !== "confirm-dialog") { return; }
    var then = pendingAnswer;
    pendingAnswer = null;
    if (then && event.target.returnValue === "ok") { then(); }
  }, true);

  // Every hx-confirm goes through ask(): the title and the confirming button say what the clicked button
  // does (its label, or data-confirm-action), the question comes from the server-rendered hx-confirm.
  var answeredFor = null;  // the button pressed for an answer given to its earlier copy (below)
  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail.question;
    if (!question) { return; }
    event.preventDefault();
    var button = event.detail.elt;
    if (button === answeredFor) {
      answeredFor = null;
      event.detail.issueRequest(true);
      return;
    }
    var action = button.getAttribute("data-confirm-action") || button.textContent.trim();
    ask({title: action, question: question, ok: action, danger: !button.classList.contains("btn-primary")},
        function () {
          if (document.body.contains(button)) { event.detail.issueRequest(true); return; }
          // The list was drawn again while the question was open (leaving the search box searches once
          // more), and htmx sends nothing for a button no longer on the page: the same button of the rows
          // now shown is pressed instead, answered already.
          var copy = sameButton(button, event.detail.verb, question);
          if (copy) {
            answeredFor = copy;
            // htmx readies swapped-in rows only once they settle (20 ms on): a click before that did nothing.
            htmx.process(copy);
            copy.click();  // htmx asks (htmx:confirm) within the click
            answeredFor = null;
          } else if (button.hasAttribute("data-send-if-gone")) {
            // Its address alone names what the question named (考生管理's 删除: the candidate's id), so what
            // the user confirmed is sent though its row is no longer shown; the answer's events (a notice,
            // the list read again) go from the page's frame, which also sends the CSRF token.
            htmx.ajax(event.detail.verb, event.detail.path, {source: document.querySelector(".app"), swap: "none"});
          } else {
            notify("列表已更新，「" + action + "」未执行，请在新的列表中重新操作", "info");
          }
        });
  });
  function sameButton(button, verb, question) {
    var attribute = "hx-" + verb, url = button.getAttribute(attribute);
    var found = null;
    document.querySelectorAll("[" + attribute + "]").forEach(function (other) {
      if (!found && other.getAttribute(attribute) === url && other.getAttribute("hx-confirm") === question) {
        found = other;
      }
    });
    return url ? found : null;
  }

  // A row action's answer replaces the row it was clicked in. When the list was drawn again while the request
  // was out (a search typed, a filter changed), that row is no longer on the page, and the row shown now may
  // have been read before the action was saved: the list is read again (the event its container names in
  // data-redraw-event), as a reload would show it. htmx announces the swap on the row itself, which is off
  // the page by then: only a listener on the row hears it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = event.detail.target;
    var list = row && row.tagName === "TR" && row.closest("[data-redraw-event]");
    if (!list) { return; }
    var redraw = list.getAttribute("data-redraw-event");
    row.addEventListener("htmx:beforeSwap", function () {
      if (!document.body.contains(row)) { htmx.trigger(document.body, redraw); }
    }, {once: true});
  });

  // The shared dialog remembers typed input until it is saved (a 2xx answer swapped in) or closed; closing
  // it with unsaved input (×, 取消, Esc, a click outside) asks first.
  var TYPED = "textarea, select, input:not([type=checkbox]):not([type=radio]):not([type=file]):not([type=hidden])";
  document.addEventListener("input", function (event) {
    var d = dialog();
    if (d && d.contains(event.target) && event.target.matches(TYPED)) { d.setAttribute("data-unsaved", ""); }
  });
  function closeDialog(d) {
    if (!d.hasAttribute("data-unsaved")) { d.close(""); return; }
    var box = document.getElementById("confirm-dialog");
    ask({title: box.getAttribute("data-unsaved-title"), question: box.getAttribute("data-unsaved-question"),
         ok: box.getAttribute("data-unsaved-ok"), cancel: box.getAttribute("data-unsaved-cancel"), danger: true},
        function () { d.close(""); });
  }
  document.addEventListener("close", function (event) {
    if (event.target === dialog()) { event.target.removeAttribute("data-unsaved"); }
  }, true);
  document.addEventListener("cancel", function (event) {
    var d = dialog();
    if (event.target === d && d.hasAttribute("data-unsaved")) {
      event.preventDefault();
      closeDialog(d);
    }
  }, true);
  // A click on the backdrop lands on the <dialog> itself, outside its box (inside it, it is the dialog's own
  // scrollbar). Only a press that also began there counts: selecting text in a field and releasing outside
  // must not close it.
  function onBackdrop(event) {
    var d = event.target;
    if (d.tagName !== "DIALOG" || !d.open) { return false; }
    var box = d.getBoundingClientRect();
    return event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
  }
  var pressedOnBackdrop = false;
  document.addEventListener("mousedown", function (event) { pressedOnBackdrop = onBackdrop(event); });
  document.addEventListener("click", function (event) {
    if (!pressedOnBackdrop || !onBackdrop(event)) { return; }
    var d = event.target;
    if (d.id === "confirm-dialog") { d.close(""); } else { closeDialog(d); }
  });

  // Content swapped into the shared <dialog> opens it as a modal; a 2xx answer there is the saved state.
  document.addEventListener("htmx:afterSwap", function (event) {
    var d = dialog();
    if (!d || event.detail.target !== d) { return; }
    if (event.detail.xhr && event.detail.xhr.status < 300) { d.removeAttribute("data-unsaved"); }
    if (!d.open) { d.showModal(); }
  });

  // A server response can ask for the dialog to close (HX-Trigger: closeDialog) or for a notice.
  document.body.addEventListener("closeDialog", function () {
    var d = dialog();
    if (d && d.open) { d.close(""); }
  });
  document.body.addEventListener("notice", function (event) {
    notify(event.detail.value || event.detail.message || "", event.detail.kind);
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-notice-close]")) { closeNotice(); }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var d = closer.closest("dialog");
      if (d) { closeDialog(d); }
    }
    if (event.target.closest("[data-print]")) { window.print(); }
    // A narrow screen folds the navigation behind 菜单 (templates/base.html).
    var menu = event.target.closest("[data-nav-toggle]");
    if (menu) { menu.setAttribute("aria-expanded", String(menu.getAttribute("aria-expanded") !== "true")); }
    var toggle = event.target.closest("[data-check-all]");
    if (toggle) {
      document.querySelectorAll(toggle.getAttribute("data-check-all")).forEach(function (box) {
        box.checked = toggle.checked;
      });
    }
  });

  // Esc folds the open 菜单 again and gives the focus back to its button (an open dialog takes Esc first).
  document.addEventListener("keydown", function (event) {
    var open = document.querySelector('[data-nav-toggle][aria-expanded="true"]');
    if (event.key === "Escape" && open && !document.querySelector("dialog[open]")) {
      open.setAttribute("aria-expanded", "false");
      open.focus();
    }
  });

  // 考生管理: a <details class="menu"> closes when an item is chosen or the user clicks elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target) || event.target.closest(".menu-item")) { menu.open = false; }
    });
  });

  // The print header (templates/base.html) says what the printed list shows: each filter that narrows it
  // (label and the chosen text, not the value: a certificate's id means nothing on paper), the page of how
  // many rows, and the date. Written whenever the list changes, so it is ready before anyone prints.
  function labelOf(field) {
    var label = field.closest("label");
    var first = label && label.firstChild;
    return first && first.nodeType === Node.TEXT_NODE ? first.textContent.trim() : "";
  }
  function describeFilters() {
    var out = document.querySelector("[data-print-filter]");
    if (!out) { return; }
    var parts = [], filtered = false;
    document.querySelectorAll(".content form").forEach(function (form) {
      if (!form.matches(".filters") && !form.querySelector(".filters")) { return; }
      filtered = true;
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || !field.value || /^(hidden|submit|button)$/.test(field.type)) { return; }
        if ((field.type === "checkbox" || field.type === "radio") && !field.checked) { return; }
        if (field.type === "checkbox") { parts.push(field.closest("label").textContent.trim()); return; }
        var text = field.tagName === "SELECT" ? field.options[field.selectedIndex].text : field.value;
        parts.push(field.type === "radio" ? text : (labelOf(field) + " " + text).trim());
      });
    });
    var pager = document.querySelector(".content .pager-total");
    var filter = filtered ? "筛选：" + (parts.length ? parts.join("；") : "全部") : "";
    out.textContent = [filter, pager ? pager.textContent.trim() : ""].filter(Boolean).join("。");
    var today = new Date();
    document.querySelector("[data-print-date]").textContent = "打印日期 " + today.getFullYear() + "-" +
      String(today.getMonth() + 1).padStart(2, "0") + "-" + String(today.getDate()).padStart(2, "0");
  }
  document.addEventListener("DOMContentLoaded", describeFilters);
  document.addEventListener("htmx:afterSettle", describeFilters);
  window.addEventListener("beforeprint", describeFilters);

  // 上传学生照片: a form with a <progress data-upload-progress> shows how much of the file has been sent.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = event.target.querySelector && event.target.querySelector("[data-upload-progress]");
    if (bar && event.detail.lengthComputable && event.detail.total) {
      bar.hidden = false;
      bar.value = Math.round(event.detail.loaded * 100 / event.detail.total);
    }
  });

  // 批量人工确认: keyboard first. Each key clicks the queue's button marked data-key, so the keys do
  // exactly what the buttons do. Keys are left alone while typing, in a dialog, or with a modifier.
  var QUEUE_KEYS = {Enter: "confirm", ArrowRight: "next", j: "next", J: "next", ArrowLeft: "previous",
                    k: "previous", K: "previous", e: "edit", E: "edit", Escape: "leave"};
  document.addEventListener("keydown", function (event) {
    var action = QUEUE_KEYS[event.key];
    if (!action || !document.querySelector("[data-queue]") || document.querySelector("dialog[open]")) { return; }
    // The photo's file input is not typed in (the queue focuses it when a photo is missing): only Enter,
    // which opens its file chooser, is left to it.
    var typing = event.target.closest("input:not([type=file]), select, textarea");
    if (event.ctrlKey || event.metaKey || event.altKey || typing) { return; }
    // Enter on a focused button, link or file input already activates it.
    if (event.key === "Enter" && event.target.closest("button, a, summary, label, input")) { return; }
    var button = document.querySelector('[data-key="' + action + '"]');
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });

  // A photo dropped onto the queue's photo area goes into its file input, whose change uploads it.
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var area = event.target.closest && event.target.closest("[data-photo-drop]");
      if (area) { event.preventDefault(); area.classList.add("drop-over"); }
    });
  });
  document.addEventListener("dragleave", function (event) {
    var area = event.target.closest && event.target.closest("[data-photo-drop]");
    if (area && !area.contains(event.relatedTarget)) { area.classList.remove("drop-over"); }
  });
  document.addEventListener("drop", function (event) {
    var area = event.target.closest && event.target.closest("[data-photo-drop]");
    var input = area && area.querySelector("input[type=file]");
    if (!input || !event.dataTransfer.files.length) { return; }
    event.preventDefault();
    area.classList.remove("drop-over");
    input.files = event.dataTransfer.files;
    input.dispatchEvent(new Event("change", {bubbles: true}));
  });

  // htmx does not swap error responses: show their text (our error handlers send plain Chinese text).
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0 ? xhr.responseText : "";
    notify(text || ("操作失败（" + xhr.status + "）"), "error");
  });
  document.addEventListener("htmx:sendError", function () {
    notify("无法连接服务器，请检查网络后重试", "error");
  });
})();
