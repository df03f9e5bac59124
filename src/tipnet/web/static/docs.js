// Starts the vendored Swagger UI on /docs. A file rather than an inline script, so the page's
// Content-Security-Policy can forbid inline scripts; the validator badge is off because it
// would send the OpenAPI document to a third party.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    oauth2RedirectUrl: window.location.origin + "/docs/oauth2-redirect",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
