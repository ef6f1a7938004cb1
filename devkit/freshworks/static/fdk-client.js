/* A stub of the Freshworks FDK client for the dev kit's placeholder host (not Freshworks' code): the few methods
   our app uses, answered by the dev kit's Freshsales (devkit/freshworks/app.py). */
(function () {
  "use strict";
  var instance = new URLSearchParams(window.location.search).get("instance") || "";
  var loaded = null;

  function json(response) {
    return response.json().then(function (body) {
      if (!response.ok) {
        throw body;
      }
      return body;
    });
  }

  function data() {
    loaded = loaded || fetch("/_fdk/instance/" + encodeURIComponent(instance)).then(json);
    return loaded;
  }

  var client = {
    data: {
      get: function (name) {
        return data().then(function (values) {
          if (!(name in values)) {
            throw { status: 404, message: name + " is not available here" };
          }
          var answer = {};
          answer[name] = values[name];
          return answer;
        });
      }
    },
    request: {
      invoke: function (name, args) {
        return fetch("/_fdk/invoke", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ instance: instance, "function": name, args: args || {} })
        }).then(json);
      }
    },
    instance: {
      resize: function (size) {
        window.parent.postMessage({ fdkStub: "resize", height: size && size.height }, window.location.origin);
        return Promise.resolve({ message: "resized" });
      }
    }
  };

  window.app = {
    initialized: function () {
      return Promise.resolve(client);
    }
  };
})();
