// Small progressive enhancements; every page works without them.
document.addEventListener("htmx:responseError", function (event) {
  var status = event.detail.xhr.status;
  var message = status === 403 ? "Dafür fehlt Ihnen die Berechtigung." :
    "Die Anfrage ist fehlgeschlagen (Fehler " + status + "). Bitte laden Sie die Seite neu.";
  window.alert(message);
});

// Forms that ask before they submit carry the question in data-confirm (no inline onsubmit:
// the Content-Security-Policy forbids inline handlers).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
