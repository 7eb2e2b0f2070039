// Progressive enhancements: relative times, character counters, hover cards, live notification badge; the changes
// that matter are announced to screen readers through live regions (role="status") that the templates provide.
(function () {
  "use strict";

  // Times: the server writes <time datetime="…ISO 8601…" data-relative>the date</time>, which reads well without
  // JavaScript; here its text becomes "5 minutes ago", and the exact time on hover is the reader's own, in their
  // time zone and the page's language.
  var lang = document.documentElement.lang || undefined;
  var exact = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  function titleTimes(root) {
    root.querySelectorAll("time[datetime]:not([title])").forEach(function (time) {
      var when = new Date(time.getAttribute("datetime"));
      if (!isNaN(when)) time.title = exact.format(when);
    });
  }
  titleTimes(document);

  // Relative times, in units much as Django's naturaltime chose them (one unit, where it said "2 days, 3 hours"):
  // the largest unit that fits at least once, rounded down (5 min 59 s is "5 minutes ago"): seconds under a minute,
  // then minutes, hours, days under a week, weeks under a month (a twelfth of a year), months under a year, years.
  // numeric "always" says "1 day ago", not "yesterday": the count is of elapsed time, and "yesterday" names a
  // calendar day it may not be. Under a second is "now". A moment ahead of the reader's clock (theirs a little
  // slow) is "now" too, not "in 5 seconds": everything shown here has already happened. Browsers without
  // Intl.RelativeTimeFormat keep the date.
  var relative = window.Intl && Intl.RelativeTimeFormat && new Intl.RelativeTimeFormat(lang, { numeric: "always" });
  var now = relative && new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(0, "second");
  var DAY = 86400, YEAR = 365 * DAY; // in seconds
  var UNITS = [["year", YEAR], ["month", YEAR / 12], ["week", 7 * DAY], ["day", DAY], ["hour", 3600], ["minute", 60],
    ["second", 1]];
  function relativeText(ago) {
    for (var i = 0; i < UNITS.length; i++) {
      if (ago >= UNITS[i][1]) return relative.format(-Math.floor(ago / UNITS[i][1]), UNITS[i][0]);
    }
    return now;
  }
  function relativeTimes(root) {
    if (!relative) return;
    root.querySelectorAll("time[data-relative]").forEach(function (time) {
      var ago = (Date.now() - new Date(time.getAttribute("datetime"))) / 1000; // seconds
      if (!isNaN(ago)) time.textContent = relativeText(ago);
    });
  }
  relativeTimes(document);
  setInterval(function () { relativeTimes(document); }, 60 * 1000); // "5 minutes ago" moves on while one reads

  // Character counter: <textarea maxlength data-counter> + <span data-counter-for="id">; its texts, in the page's
  // language, are the span's data-counter-one (for 1) and data-counter-other ("{count}" is the number left).
  // The counter describes the field (a screen reader reads it with the field), and its live region
  // (data-counter-status-for) repeats it once typing pauses: announced then, not at every key.
  var COUNTER_PAUSE = 1000; // ms
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.dataset.counterFor);
    if (!field) return;
    var status = document.querySelector('[data-counter-status-for="' + counter.dataset.counterFor + '"]');
    var max = parseInt(field.getAttribute("maxlength"), 10) || 140;
    var one = counter.dataset.counterOne || "{count} character left";
    var other = counter.dataset.counterOther || "{count} characters left";
    var pause = null;
    if (counter.id) {
      var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(counter.id) < 0) described.push(counter.id);
      field.setAttribute("aria-describedby", described.join(" "));
    }
    function update() {
      var left = max - field.value.length;
      counter.textContent = (left === 1 ? one : other).replace("{count}", left);
      counter.classList.toggle("counter-over", left < 0);
    }
    field.addEventListener("input", function () {
      update();
      if (!status) return;
      clearTimeout(pause);
      pause = setTimeout(function () { status.textContent = counter.textContent; }, COUNTER_PAUSE);
    });
    update();
  });

  // Hover cards: after ~0.5 s over a username, or on a username focused from the keyboard, fetch its card once and
  // show it; hide it when the pointer leaves or the focus moves on, and at Escape. The card goes right after the
  // username in the document, so that Tab moves from the name into the card's links and buttons, then on.
  var HOVER_DELAY = 500, LEAVE_DELAY = 200;
  var cards = []; // {link, dismiss, popover} of every card made so far
  function tipOf(popover) { return popover && popover.tip; }
  document.querySelectorAll("a.user-popup").forEach(function (link) {
    var showTimer = null, hideTimer = null, popover = null, hovering = false, focused = false;
    var dismissed = false; // closed with Escape: not reopened by the focus coming back to the name from its card
    function wanted() { return !dismissed && (hovering || focused); }
    function hide() {
      clearTimeout(showTimer);
      clearTimeout(hideTimer);
      if (popover) popover.hide();
    }
    function dismiss() {
      dismissed = true;
      hide();
    }
    function scheduleHide() {
      clearTimeout(showTimer);
      clearTimeout(hideTimer);
      hideTimer = setTimeout(function () { if (!wanted()) hide(); }, LEAVE_DELAY);
    }
    function show(html) {
      var tip = tipOf(popover);
      if (tip && tip.classList.contains("show")) return; // shown already (Bootstrap would build it anew)
      if (!popover) {
        popover = new bootstrap.Popover(link, {
          content: html, html: true, sanitize: false, trigger: "manual", placement: "bottom",
          customClass: "user-popover",
          // A small non-modal dialog named after the person (Bootstrap's "tooltip" role is for plain text).
          template: '<div class="popover" role="dialog"><div class="popover-arrow"></div>' +
            '<h3 class="popover-header"></h3><div class="popover-body"></div></div>'
        });
        cards.push({ link: link, dismiss: dismiss, popover: popover });
        // Bootstrap builds the card afresh from its HTML on every show: put it after the name, and make its times
        // relative as it is inserted, before it fades in, so the date never flashes (the minute refresh then finds
        // it in the document).
        // The pointer and focus listeners go on as it is inserted too: the pointer may reach the card while it fades
        // in, before "shown".
        link.addEventListener("inserted.bs.popover", function () {
          var tip = tipOf(popover);
          tip.setAttribute("aria-label", link.textContent.trim());
          link.after(tip);
          relativeTimes(tip);
          tip.addEventListener("mouseenter", function () { hovering = true; clearTimeout(hideTimer); });
          tip.addEventListener("mouseleave", function () { hovering = false; scheduleHide(); });
          tip.addEventListener("focusin", function () { focused = true; clearTimeout(hideTimer); });
          tip.addEventListener("focusout", function (event) {
            if (event.relatedTarget === link || tip.contains(event.relatedTarget)) return;
            focused = false;
            scheduleHide();
          });
        });
        link.addEventListener("shown.bs.popover", function () { titleTimes(tipOf(popover)); });
      }
      popover.show();
    }
    function scheduleShow() {
      clearTimeout(hideTimer);
      clearTimeout(showTimer);
      showTimer = setTimeout(function () {
        if (link.dataset.popupHtml !== undefined) return show(link.dataset.popupHtml);
        fetch(link.dataset.popupUrl, { headers: { "X-Requested-With": "fetch" } })
          .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
          // Keep the card for next time, but show it only if the pointer or the focus is still there.
          .then(function (html) { link.dataset.popupHtml = html; if (wanted()) show(html); })
          .catch(function () {});
      }, HOVER_DELAY);
    }
    link.addEventListener("mouseenter", function () { hovering = true; dismissed = false; scheduleShow(); });
    link.addEventListener("mouseleave", function () { hovering = false; scheduleHide(); });
    // Keyboard focus only (:focus-visible): a click on the name just follows the link.
    link.addEventListener("focus", function () {
      if (dismissed || !link.matches(":focus-visible")) return;
      focused = true;
      scheduleShow();
    });
    link.addEventListener("blur", function (event) {
      var tip = tipOf(popover);
      if (tip && tip.contains(event.relatedTarget)) return; // into the card: it stays
      focused = false;
      dismissed = false;
      scheduleHide();
    });
  });
  // Escape closes the cards (WCAG 1.4.13: content shown on hover or focus can be dismissed without moving);
  // the focus, if it was in a card, goes back to its name.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    cards.forEach(function (card) {
      var tip = tipOf(card.popover);
      var inCard = tip && tip.contains(document.activeElement);
      card.dismiss();
      if (inCard) card.link.focus();
    });
  });

  // Changes of the navigation (the unread count, the export) are announced in its live region #nav-status: those
  // after the page's first poll, which only says how things stand when it loads (that shows, but is not news).
  var navStatus = document.getElementById("nav-status");
  var firstPollDone = false;
  function announce(text) {
    if (navStatus && firstPollDone && text) navStatus.textContent = text;
  }

  // Export progress in the navigation: "Export: Waiting for a worker", "Export: Running 40 %", then a link.
  var exportItem = document.getElementById("export-status");
  var exportLink = exportItem && exportItem.querySelector("a");
  var exportHome = exportLink && exportLink.getAttribute("href"); // one's profile, where an export starts
  function showExport(state) {
    if (!exportItem) return;
    var link = exportLink, before = link.textContent;
    exportItem.classList.remove("d-none");
    if (state.download) {
      link.textContent = exportItem.dataset.ready;
      link.href = state.download;
    } else {
      link.href = exportHome; // a new export after a finished one: no longer a link to the old file
      var text = exportItem.dataset.prefix + ": " + state.label;
      if (state.status === "running") text += " " + state.progress + " %";
      if (state.message) text += " (" + state.message + ")";
      link.textContent = text;
    }
    if (link.textContent !== before) announce(link.textContent);
  }

  // The unread-messages badge: its number for the eye; for screen readers, words in the link's name
  // (#message-count-text, "1 unread message" from its data-unread-one/-other) and an announcement when it grows.
  var badgeText = document.getElementById("message-count-text");
  function showUnread(badge, count) {
    var before = badge.textContent;
    badge.textContent = count;
    badge.classList.toggle("d-none", count === 0);
    var words = "";
    if (badgeText && count !== 0) {
      words = (count === 1 ? badgeText.dataset.unreadOne : badgeText.dataset.unreadOther).replace("{count}", count);
    }
    if (badgeText) badgeText.textContent = words;
    if (String(count) !== before && count !== 0) announce(words);
  }

  // Notifications: poll now and every few seconds (data-poll-interval ms on <body>, 5 s without it; the browser
  // tests shorten it); keep the unread-messages badge and the export current.
  var url = document.body.dataset.notificationsUrl;
  var badge = document.getElementById("message-count");
  if (url && badge) {
    var since = 0;
    function poll() {
      fetch(url + "?since=" + since, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (notifications) {
          notifications.forEach(function (n) {
            since = Math.max(since, n.timestamp);
            if (n.name === "post_export") showExport(n.data);
            if (n.name === "unread_message_count") showUnread(badge, n.data);
          });
          firstPollDone = true;
        })
        .catch(function () {});
    }
    poll();
    setInterval(poll, parseInt(document.body.dataset.pollInterval, 10) || 5000);
  }
})();
