// CertDesk's small amount of page behaviour. No inline scripts (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  function dialog() { return document.getElementById("dialog"); }

  function notify(message, kind) {
    var box = document.getElementById("notice");
    if (!box) { return; }
    box.textContent = message;
    box.className = "notice notice-" + (kind || "info");
    box.hidden = false;
    clearTimeout(notify.timer);
    notify.timer = setTimeout(function () { box.hidden = true; }, 6000);
  }

  // Content swapped into the shared <dialog> opens it as a modal.
  document.addEventListener("htmx:afterSwap", function (event) {
    var d = dialog();
    if (d && event.detail.target === d && !d.open) { d.showModal(); }
  });

  // A server response can ask for the dialog to close (HX-Trigger: closeDialog) or for a notice.
  document.body.addEventListener("closeDialog", function () {
    var d = dialog();
    if (d && d.open) { d.close(); }
  });
  document.body.addEventListener("notice", function (event) {
    notify(event.detail.value || event.detail.message || "", event.detail.kind);
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var d = closer.closest("dialog");
      if (d) { d.close(); }
    }
    if (event.target.closest("[data-print]")) { window.print(); }
    var toggle = event.target.closest("[data-check-all]");
    if (toggle) {
      document.querySelectorAll(toggle.getAttribute("data-check-all")).forEach(function (box) {
        box.checked = toggle.checked;
      });
    }
  });

  // 考生管理: a <details class="menu"> closes when an item is chosen or the user clicks elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target) || event.target.closest(".menu-item")) { menu.open = false; }
    });
  });

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
    var d = dialog();
    if (!action || !document.querySelector("[data-queue]") || (d && d.open)) { return; }
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
