/* The judgement panel's "set every rule to" buttons: each sets all of its form's rule choices at once. Without
   script each choice is set by hand; the form submits the same either way. */
(function () {
  "use strict";
  document.querySelectorAll("form.judge [data-set]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.form.querySelectorAll("select[name^='rule:']").forEach(function (select) {
        select.value = button.getAttribute("data-set");
      });
    });
  });
}());
