// Submits the login hand-over form at once; without JavaScript the person
// presses its button.
(function () {
  var f = document.getElementById('autopost');
  if (f) { f.submit(); }
})();
