// ICD-Eingabe: Esc skips the case (follows the "Überspringen" link). Enter needs no script: it
// submits the form ("Speichern und weiter"). The page works without this file.
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) {
      return;
    }
    var skip = document.getElementById("icd-queue-skip");
    if (skip && skip.href) {
      event.preventDefault();
      window.location.assign(skip.href);
    }
  });
})();
