// Import pages: drag & drop onto the upload zone and a progress bar for HTMX uploads.
// Without JavaScript the form is a normal multipart POST and the file input works as usual.
(function () {
  "use strict";

  function zoneOf(target) {
    return target && target.closest ? target.closest("[data-drop-zone]") : null;
  }

  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var zone = zoneOf(event.target);
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("is-dragover");
    });
  });

  document.addEventListener("dragleave", function (event) {
    var zone = zoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("is-dragover");
  });

  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event.target);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("is-dragover");
    var input = zone.querySelector("input[type=file]");
    if (input && event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  function progressParts(form) {
    var box = form.querySelector("[data-upload-progress]");
    if (!box) return null;
    return { box: box, bar: box.querySelector("progress"), label: box.querySelector("[data-upload-progress-label]") };
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("[data-upload-form]");
    var parts = form && progressParts(form);
    if (!parts) return;
    parts.box.hidden = false;
    parts.bar.value = 0;
    parts.label.textContent = "Datei wird hochgeladen …";
    form.dataset.uploaded = "";
  });

  // htmx reports upload and download progress alike; once the upload reached 100 % the server
  // is reading and checking the file, which the bar shows as indeterminate.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("[data-upload-form]");
    var parts = form && progressParts(form);
    if (!parts || form.dataset.uploaded || !event.detail.lengthComputable) return;
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    parts.bar.value = percent;
    parts.label.textContent = "Datei wird hochgeladen … " + percent + " %";
    if (percent >= 100) {
      form.dataset.uploaded = "1";
      parts.bar.removeAttribute("value");
      parts.label.textContent = "Hochgeladen – die Datei wird geprüft …";
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("[data-upload-form]");
    var parts = form && progressParts(form);
    if (parts && !event.detail.successful) parts.box.hidden = true;
  });
})();

// After an upload the result gets the focus and is announced (issue 11 §6): an HTMX swap puts
// the result (or the form with its error) in place; a preview opens as a new page. The result
// carries data-upload-result (and data-announce, the sentence to announce); the page's polite
// live region [data-upload-status] reads it out.
(function () {
  "use strict";

  var FLAG = "import-upload-result";
  var pending = false; // an upload request is under way (tab and page swaps move no focus)

  function announce(result) {
    var status = document.querySelector("[data-upload-status]");
    var text = result.getAttribute("data-announce");
    if (!status || !text) return;
    status.textContent = "";
    // A change after the page settled is what screen readers announce.
    window.setTimeout(function () { status.textContent = text; }, 100);
  }

  function showResult(result) {
    if (!result || result.dataset.shown) return;
    result.dataset.shown = "1";
    if (!result.hasAttribute("tabindex")) result.setAttribute("tabindex", "-1");
    result.focus();
    announce(result);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.closest && event.target.closest("[data-upload-form]")) {
      pending = true;
      try { window.sessionStorage.setItem(FLAG, "1"); } catch (e) { /* storage off: no focus move */ }
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pending) return;
    pending = false;
    try { window.sessionStorage.removeItem(FLAG); } catch (e) { /* nothing to clear */ }
    showResult(document.querySelector("[data-upload-result]:not([data-shown])"));
  });

  document.addEventListener("DOMContentLoaded", function () {
    var flagged = false;
    try {
      flagged = window.sessionStorage.getItem(FLAG) === "1";
      window.sessionStorage.removeItem(FLAG);
    } catch (e) { /* storage off */ }
    if (flagged) showResult(document.querySelector("[data-upload-result]"));
  });
})();
