// The docs page: Swagger UI (served from this Worker's own assets, never a CDN) rendering /openapi.json, with
// "Try it out" against this same origin. No call leaves the origin: the online validator badge is off.

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  validatorUrl: null,
});
