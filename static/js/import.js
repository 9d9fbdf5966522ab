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
