/**
 * `import … from "image-insights"`: the typed client of the image-insights API, and the batch-job helper the CLI
 * runs on. Platform-neutral (no Node built-in): Node 22.12+, browsers, Workers.
 */

export {
  type DuplicateGroup,
  DuplicateGroupSchema,
  type Duplicates,
  DuplicatesSchema,
} from "../../../contract/duplicates.ts";
export {
  JobListSchema,
  type JobResultLine,
  JobResultLineSchema,
  JobSchema,
  type JobStatus,
  WebhookSecretSchema,
} from "../../../contract/jobs.ts";
export { AnalysisResponseSchema, ErrorEnvelopeSchema, ValidationEnvelopeSchema } from "../../../contract/schemas.ts";
export {
  type AnalysisQuery,
  type AnalysisResponseBody,
  type ClientOptions,
  createClient,
  type DeepHealthResponse,
  type ErrorEnvelope,
  type HealthResponse,
  type ImageInsightsClient,
  type ImageInsightsRoutes,
  type Job,
  type JobList,
  type JobRequest,
  ROUTES,
  type UrlRequest,
  type ValidationEnvelope,
  type WebhookSecret,
} from "./client.ts";
export { type JobsApi, jobsApi, RunError } from "./jobs-api.ts";
