/* The dev kit's Freshworks page: sizes the placeholder frame when the app asks (client.instance.resize). */
(function () {
  "use strict";
  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data || event.data.fdkStub !== "resize") {
      return;
    }
    var frame = document.getElementById("fdk-app");
    var height = parseInt(event.data.height, 10);
    if (frame && height > 0 && height < 5000) {
      frame.style.height = height + "px";
    }
  });
})();
