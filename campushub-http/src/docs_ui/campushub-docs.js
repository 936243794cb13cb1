// The API reference at /docs. The document (/api/v1/openapi.json) is served to signed-in
// callers only, like the rest of /api/, so this page asks for a credential first: from the
// URL's fragment (#token=... or #api_key=..., which browsers never send to the server), else
// from this tab's session storage, else from the form. It fetches the document with it and
// hands both to Swagger UI, which sends the same credential with every "Try it out" request.
(function () {
  "use strict";

  var DOCUMENT = "../api/v1/openapi.json";
  var STORAGE_KEY = "campushub-docs-credential";
  var form = document.getElementById("sign-in");
  var input = document.getElementById("credential");
  var status = document.getElementById("status");

  // A JWT (three base64url parts) goes in Authorization, anything else is an API key.
  function header(credential) {
    return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(credential)
      ? { name: "Authorization", value: "Bearer " + credential }
      : { name: "X-Api-Key", value: credential };
  }

  function fromFragment() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var credential = params.get("token") || params.get("api_key");
    if (credential) {
      // Keep the credential out of the address bar and the history.
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    return credential;
  }

  function askForCredential(message) {
    status.textContent = message || "";
    form.hidden = false;
    input.focus();
  }

  function show(credential) {
    var auth = header(credential);
    var headers = {};
    headers[auth.name] = auth.value;
    status.textContent = "Loading the API document…";
    fetch(DOCUMENT, { headers: headers, credentials: "omit" })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          sessionStorage.removeItem(STORAGE_KEY);
          askForCredential("That credential was refused (" + response.status + "): try another.");
          return null;
        }
        if (!response.ok) {
          throw new Error("the document answered " + response.status);
        }
        return response.json();
      })
      .then(function (spec) {
        if (!spec) {
          return;
        }
        sessionStorage.setItem(STORAGE_KEY, credential);
        form.hidden = true;
        status.textContent = "";
        window.ui = SwaggerUIBundle({
          spec: spec,
          dom_id: "#swagger-ui",
          deepLinking: true,
          requestInterceptor: function (request) {
            request.headers[auth.name] = auth.value;
            return request;
          },
        });
      })
      .catch(function (error) {
        askForCredential("The API document could not be loaded: " + error.message);
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value.trim());
  });

  var credential = fromFragment() || sessionStorage.getItem(STORAGE_KEY);
  if (credential) {
    show(credential);
  } else {
    askForCredential();
  }
})();
