// A file input in Chinese words (file_input() in templates/_widget.html): beside its 选择文件 button, the name of
// the file chosen, or 未选择文件, where a Chromium without its Chinese locale would say "No file chosen".
(function () {
  "use strict";
  var INPUTS = "input[type=file][data-file-name]";

  function showName(input) {
    var shown = document.getElementById(input.getAttribute("data-file-name"));
    if (!shown) { return; }
    var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
    shown.textContent = names.length ? names.join("、") : "未选择文件";
    shown.classList.toggle("chosen", names.length > 0);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(INPUTS)) {
      event.target.setCustomValidity("");
      showName(event.target);
    }
  });
  // 保存 with no file chosen: the browser's own words would be its locale's ("Please select a file.").
  document.addEventListener("invalid", function (event) {
    var input = event.target;
    if (input.matches && input.matches(INPUTS) && input.validity.valueMissing) { input.setCustomValidity("请先选择文件"); }
  }, true);
  // A form reset empties its file inputs after the event: their names are shown again once it has.
  document.addEventListener("reset", function (event) {
    window.setTimeout(function () { event.target.querySelectorAll(INPUTS).forEach(showName); });
  });
  // A result that leaves nothing to decide about the upload (an import's status block with data-clears-file:
  // the input's id) empties that input, so the file's name beside 选择文件 does not ask for 保存 again. Once a
  // batch: turning a page of the same result's error table must not drop a file chosen since.
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    var block = elt && elt.matches && (elt.matches("[data-clears-file]") ? elt : elt.querySelector("[data-clears-file]"));
    var input = block && document.getElementById(block.getAttribute("data-clears-file"));
    if (!input || input.getAttribute("data-cleared-for") === block.getAttribute("data-batch")) { return; }
    input.setAttribute("data-cleared-for", block.getAttribute("data-batch"));
    input.value = "";
    showName(input);
  });
  // A page shown again from the back/forward cache keeps the files chosen: so does the name beside them.
  window.addEventListener("pageshow", function () { document.querySelectorAll(INPUTS).forEach(showName); });
})();
