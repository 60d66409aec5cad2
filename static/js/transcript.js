/* The video page's transcript search (templates/videos/video_transcript.html).
 *
 * Typing in the box hides the lines that do not hold what was typed, without case
 * or accents, so a long transcript reads as the few lines that matter, each still
 * with the link to its moment of the video. Without JavaScript the box stays
 * hidden and the whole transcript shows.
 */
(function () {
  "use strict";

  /* Lower case without accents: "Théorème" finds "theoreme". */
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function init() {
    var box = document.getElementById("transcript-filter");
    var list = document.getElementById("transcript-lines");
    if (!box || !list) { return; }
    var lines = Array.prototype.slice.call(list.children);
    var texts = lines.map(function (li) { return fold(li.textContent); });
    var count = document.getElementById("transcript-count");
    var none = document.getElementById("transcript-none");
    var timer = null;

    function apply() {
      var wanted = fold(box.value);
      var shown = 0;
      lines.forEach(function (li, i) {
        var hit = !wanted || texts[i].indexOf(wanted) !== -1;
        li.hidden = !hit;
        if (hit) { shown += 1; }
      });
      count.textContent = wanted ? shown + " of " + lines.length + " lines" : "";
      none.hidden = shown > 0;
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(apply, 120);
    });
    box.closest(".transcript-search").hidden = false;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
