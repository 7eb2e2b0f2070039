// The admin's export page (templates/admin/import_export/export.html): the "Select all" box ticks or clears every
// field, as its onchange attribute did before the Content-Security-Policy; onSelectToggleChange is
// django-import-export's (import_export/export_selectable_fields.js, loaded just before).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("input.select-toggle").forEach(function (toggle) {
    toggle.addEventListener("change", function (event) {
      window.onSelectToggleChange(event);
    });
  });
});
