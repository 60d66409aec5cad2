// Live validation of a few-shot answer in the admin: formats the JSON and asks
// the server (the same validator the generator uses) what is wrong with it.
(function () {
  "use strict";
  function csrf() {
    const el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }
  function setup() {
    const answer = document.getElementById("id_answer");
    const template = document.getElementById("id_template");
    if (!answer || !template) return;
    const status = document.createElement("div");
    status.className = "answer-status";
    status.setAttribute("aria-live", "polite");
    answer.insertAdjacentElement("afterend", status);
    const format = document.createElement("button");
    format.type = "button";
    format.textContent = "Format JSON";
    format.className = "button";
    status.insertAdjacentElement("beforebegin", format);
    format.addEventListener("click", function () {
      try { answer.value = JSON.stringify(JSON.parse(answer.value), null, 2); check(); }
      catch (e) { status.className = "answer-status bad"; status.textContent = "Not valid JSON: " + e.message; }
    });
    let timer = null;
    function check() {
      const url = window.location.pathname.replace(/(add|\d+\/change)\/?$/, "validate/");
      const body = new URLSearchParams({ template: template.value, answer: answer.value });
      fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          status.className = "answer-status " + (data.ok ? "ok" : "bad");
          status.textContent = data.ok ? "The answer follows the template." : data.errors.join("\n");
        })
        .catch(function () { status.textContent = ""; });
    }
    function schedule() { clearTimeout(timer); timer = setTimeout(check, 400); }
    answer.addEventListener("input", schedule);
    template.addEventListener("change", schedule);
    if (answer.value) check();
  }
  document.addEventListener("DOMContentLoaded", setup);
})();
