/**
 * The API's size limits as a deployment has them unless its operator sets the variable of the same name: the
 * numbers a client plans its requests by (the CLI splits its batch jobs within them and skips a file over
 * MAX_UPLOAD_BYTES before sending it). A deployment may set lower ones; the API then refuses what does not fit,
 * in words (413 `payload_too_large` for a file or a job's bytes, 413 `too_many_items` for a job's items).
 */

/** Largest accepted image, in bytes (the reference's 5 MB, which is 5 MiB). */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
/** Most items one batch job may have (URLs or files). */
export const MAX_JOB_ITEMS = 1_000;
/** Largest multipart batch job submission, in bytes (each file is still at most MAX_UPLOAD_BYTES). */
export const MAX_JOB_UPLOAD_BYTES = 100 * 1024 * 1024;
