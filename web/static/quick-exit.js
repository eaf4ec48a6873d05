// SPDX-License-Identifier: Apache-2.0
// The quick exit of the public pages (web/templates/header.html): the
// button, or Escape pressed twice within a second, leaves at once for the
// neutral site of `vigil serve --quick-exit-url` and puts it in place of
// this page in the browser's history (location.replace), so Back does not
// return here.  Without JavaScript the button is a plain link to that site.
(function () {
  'use strict';
  var exit = document.getElementById('quick-exit');
  var hint = document.getElementById('quick-exit-hint');
  var lastEscape = 0;
  if (!exit) return;
  function leave(event) {
    if (event) event.preventDefault();
    document.body.style.visibility = 'hidden';
    window.location.replace(exit.href);
  }
  exit.addEventListener('click', leave);
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape' || event.repeat) return;
    var now = Date.now();
    if (now - lastEscape < 1000) leave(event);
    else lastEscape = now;
  });
  if (hint) hint.hidden = false;
})();
