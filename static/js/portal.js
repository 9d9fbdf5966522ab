// Small progressive enhancements; every page works without them.
document.addEventListener("htmx:responseError", function (event) {
  var status = event.detail.xhr.status;
  var message = status === 403 ? "Dafür fehlt Ihnen die Berechtigung." :
    "Die Anfrage ist fehlgeschlagen (Fehler " + status + "). Bitte laden Sie die Seite neu.";
  window.alert(message);
});
