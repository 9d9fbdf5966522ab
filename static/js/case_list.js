// Case list: after HTMX replaced the results, announce the new count and, when the change came
// from the results themselves (sort, page, search), move focus to their heading so keyboard
// users continue from there. Filters keep their focus. The page works without this file.
(function () {
  function announce() {
    var heading = document.getElementById("case-results-heading");
    var status = document.getElementById("case-list-status");
    if (status) {
      status.textContent = heading ? heading.textContent.replace(/\s+/g, " ").trim() : "";
    }
    return heading;
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "case-results") {
      return;
    }
    var heading = announce();
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var fromFilters = source && source.closest && source.closest("#case-filter");
    var invalidSearch = document.querySelector("#case-search-q[aria-invalid=true]");
    if (invalidSearch) {
      invalidSearch.focus();
    } else if (!fromFilters) {
      var focusTarget = heading || document.querySelector("#case-results [role=alert]");
      if (focusTarget) {
        if (!focusTarget.hasAttribute("tabindex")) {
          focusTarget.setAttribute("tabindex", "-1");
        }
        focusTarget.focus();
      }
    }
  });

  // Enter in a filter field fires "change" and then "submit"; both would ask for the same list
  // and add its address to the history twice. A submit of the state just asked for is dropped.
  var lastAsked = null;
  function filterState(form) {
    return new URLSearchParams(new FormData(form)).toString();
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "case-filter") {
      lastAsked = filterState(form);
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "case-filter" && window.htmx && filterState(form) === lastAsked) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // An answer for the address already shown (the same page asked again) replaces its history
  // entry instead of adding a second one.
  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var update = event.detail.history;
    if (update && update.type === "push" && update.path === location.pathname + location.search) {
      update.type = "replace";
    }
  });

  // Back/forward: htmx fetched the whole page again (the list keeps no history copy).
  document.addEventListener("htmx:historyRestore", announce);
})();
