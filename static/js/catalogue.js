/* The catalogue's history (see templates/videos/catalogue/_filters.html).
 *
 * Applying the filters pushes a Back step, but a search typed in the box has
 * already replaced the address with the same query: pushing it again would make
 * a Back step that goes nowhere. Such a push becomes a replace.
 */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var update = event.detail && event.detail.history;
    if (!update || update.type !== "push" || !update.path) { return; }
    if (new URL(update.path, location.href).href === location.href) {
      update.type = "replace";
    }
  });
})();
