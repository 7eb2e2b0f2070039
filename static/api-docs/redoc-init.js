// Starts ReDoc on /api/redoc/ (templates/drf_spectacular/redoc.html), in place of drf-spectacular's inline script.
(function () {
  "use strict";
  var script = document.currentScript;
  var settings = JSON.parse(script.dataset.settings || "{}");

  // ReDoc writes its styles into <style> elements as it renders (styled-components): the Content-Security-Policy
  // lets through only those that carry the request's nonce, which this script's own tag holds and ReDoc is given.
  if (script.nonce) settings.nonce = script.nonce;

  // Its menu ends with Redocly's logo, an image from cdn.redoc.ly, which the policy refuses (every asset here is
  // the site's own; no visitor's browser is sent elsewhere). The image is never asked for: the element is hidden
  // and the "API docs by Redocly" link keeps its text. React sets an image's address both ways: attribute, property.
  var REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";
  var image = HTMLImageElement.prototype;
  var src = Object.getOwnPropertyDescriptor(image, "src");
  var setAttribute = image.setAttribute;
  function hiddenLogo(img, url) {
    if (String(url) !== REDOCLY_LOGO) return false;
    img.hidden = true;
    return true;
  }
  Object.defineProperty(image, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (url) {
      if (!hiddenLogo(this, url)) src.set.call(this, url);
    }
  });
  image.setAttribute = function (name, value) {
    if (String(name).toLowerCase() === "src" && hiddenLogo(this, value)) return undefined;
    return setAttribute.call(this, name, value);
  };

  Redoc.init(script.dataset.specUrl, settings, document.getElementById("redoc-container"));
})();
